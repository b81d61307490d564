// nnseg: one binary, one subcommand per pipeline step. Also answers to nnU-Net v1 command names (argv[0]) that
// are installed as links to it. Maps errors to the contract's exit status and message (spec/cli.md).
#include <exception>
#include <filesystem>
#include <iostream>

#include "cli/command.h"
#include "core/error.h"

namespace nnseg::cli {

std::vector<CommandSpec>& command_registry() {
  static std::vector<CommandSpec> r;
  return r;
}
std::vector<std::pair<std::string, AliasTranslation>>& alias_registry() {
  static std::vector<std::pair<std::string, AliasTranslation>> r;
  return r;
}
CommandRegistrar::CommandRegistrar(std::string name, std::string description, CommandSetup setup) {
  command_registry().push_back({std::move(name), std::move(description), std::move(setup)});
}
AliasRegistrar::AliasRegistrar(std::string program_name, AliasTranslation translation) {
  alias_registry().emplace_back(std::move(program_name), std::move(translation));
}

namespace {

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string program = std::filesystem::path(argv[0]).filename().string();
  for (const auto& [name, translate] : alias_registry()) {
    if (name == program) {
      args = translate(args);
      break;
    }
  }

  CLI::App app{"nnseg: nnU-Net in one native binary (spec/cli.md)", "nnseg"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "nnseg 0.1.0");
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;
  for (const auto& spec : command_registry()) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    commands.emplace_back(sub, spec.setup(*sub));
  }

  // nnU-Net's multi-letter single-dash flags ("-np 4", "-tr NAME"): CLI11 takes no such names, so they are
  // declared with two dashes and rewritten here.
  for (auto& a : args) {
    if (a == "-np" || a == "-tr" || a == "-tl" || a == "-tf") a = "-" + a;
  }
  if (!args.empty() && !args.front().empty() && args.front()[0] != '-') {
    bool known = false;
    for (const auto& spec : command_registry()) known = known || spec.name == args.front();
    if (!known) {
      std::cerr << "nnseg: error: " << args.front()
                << ": unknown command\nrun 'nnseg --help' for the list of commands\n";
      return 2;
    }
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "nnseg: error: " << e.what() << "\n";
    if (!app.get_subcommands().empty()) {
      std::cerr << "run 'nnseg " << app.get_subcommands().front()->get_name() << " --help' for usage\n";
    } else {
      std::cerr << "run 'nnseg --help' for the list of commands\n";
    }
    return 2;
  }

  try {
    for (auto& [sub, fn] : commands) {
      if (sub->parsed()) return fn();
    }
  } catch (const Error& e) {
    std::cerr << "nnseg: error: " << format_error(e) << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "nnseg: error: internal error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}

}  // namespace
}  // namespace nnseg::cli

int main(int argc, char** argv) { return nnseg::cli::run(argc, argv); }
