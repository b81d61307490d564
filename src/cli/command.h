// Command registry: each cmd_<name>.cpp registers its subcommand with a static CommandRegistrar, so adding a
// command touches no shared file. v1 aliases (nnUNet_train, ...) register an argv translation the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace nnseg::cli {

// Declares the subcommand's flags on `app` and returns the function that runs it (returning the exit status).
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct CommandSpec {
  std::string name;         // subcommand name, e.g. "info"
  std::string description;  // one line for --help
  CommandSetup setup;
};

// Translates the arguments of a v1-named invocation (without argv[0]) into nnseg arguments (with the subcommand).
using AliasTranslation = std::function<std::vector<std::string>(const std::vector<std::string>& args)>;

std::vector<CommandSpec>& command_registry();
std::vector<std::pair<std::string, AliasTranslation>>& alias_registry();

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string description, CommandSetup setup);
};
struct AliasRegistrar {
  AliasRegistrar(std::string program_name, AliasTranslation translation);
};

}  // namespace nnseg::cli
