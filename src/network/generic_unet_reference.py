"""PyTorch reference of nnU-Net v1's Generic_UNet as configured by nnUNetTrainerV2 (spec/network.md), written from
the spec with v1's module names, for generic_unet_reference_test.cpp. Tensors travel as raw little-endian files
listed in a manifest ("name dtype d0 d1 ..." per line, file DIR/<name>.bin).

usage: generic_unet_reference.py names CONFIG_JSON OUT_MANIFEST
       generic_unet_reference.py init CONFIG_JSON SEED DIR        (He init after torch.manual_seed(SEED))
       generic_unet_reference.py forward CONFIG_JSON DIR           (DIR/weights + DIR/input -> DIR/out)
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {"float32": (np.float32, torch.float32), "int64": (np.int64, torch.int64)}


class ConvDropoutNormNonlin(nn.Module):
    def __init__(self, dims, cin, cout, kernel, stride, norm):
        super().__init__()
        conv = nn.Conv3d if dims == 3 else nn.Conv2d
        self.conv = conv(cin, cout, kernel, stride, [1 if k == 3 else 0 for k in kernel], 1, 1, True)
        if norm == "batch":
            self.instnorm = (nn.BatchNorm3d if dims == 3 else nn.BatchNorm2d)(cout, eps=1e-5, affine=True,
                                                                              momentum=0.1)
        else:
            self.instnorm = (nn.InstanceNorm3d if dims == 3 else nn.InstanceNorm2d)(cout, eps=1e-5, affine=True)
        self.lrelu = nn.LeakyReLU(0.01, inplace=True)

    def forward(self, x):
        return self.lrelu(self.instnorm(self.conv(x)))


class StackedConvLayers(nn.Module):
    def __init__(self, dims, cin, cout, n, kernel, first_stride, norm):
        super().__init__()
        ones = [1] * dims
        layers = [ConvDropoutNormNonlin(dims, cin, cout, kernel, first_stride or ones, norm)]
        layers += [ConvDropoutNormNonlin(dims, cout, cout, kernel, ones, norm) for _ in range(n - 1)]
        self.blocks = nn.Sequential(*layers)

    def forward(self, x):
        return self.blocks(x)


class GenericUNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dims = len(cfg["kernels"][0])
        pools, kernels, n, norm = cfg["pools"], cfg["kernels"], cfg["convs"], cfg["norm"]
        num_pool = len(pools)
        feats = [cfg["base"]]
        for _ in range(num_pool):
            feats.append(min(feats[-1] * 2, cfg["max"]))
        context, localization, tu, heads = [], [], [], []
        cin = cfg["in"]
        for d in range(num_pool):
            context.append(StackedConvLayers(dims, cin, feats[d], n, kernels[d], pools[d - 1] if d else None, norm))
            cin = feats[d]
        fb = feats[num_pool]
        context.append(nn.Sequential(
            StackedConvLayers(dims, cin, fb, n - 1, kernels[num_pool], pools[-1], norm),
            StackedConvLayers(dims, fb, fb, 1, kernels[num_pool], None, norm)))
        tconv = nn.ConvTranspose3d if dims == 3 else nn.ConvTranspose2d
        conv = nn.Conv3d if dims == 3 else nn.Conv2d
        down = fb
        for u in range(num_pool):
            skip = feats[num_pool - 1 - u]
            tu.append(tconv(down, skip, pools[-(u + 1)], pools[-(u + 1)], bias=False))
            k = kernels[-(u + 1)]
            localization.append(nn.Sequential(StackedConvLayers(dims, 2 * skip, skip, n - 1, k, None, norm),
                                              StackedConvLayers(dims, skip, skip, 1, k, None, norm)))
            heads.append(conv(skip, cfg["classes"], 1, 1, 0, 1, 1, False))
            down = skip
        self.conv_blocks_localization = nn.ModuleList(localization)
        self.conv_blocks_context = nn.ModuleList(context)
        self.td = nn.ModuleList([])
        self.tu = nn.ModuleList(tu)
        self.seg_outputs = nn.ModuleList(heads)

    def forward(self, x):
        skips = []
        for d in range(len(self.conv_blocks_context) - 1):
            x = self.conv_blocks_context[d](x)
            skips.append(x)
        x = self.conv_blocks_context[-1](x)
        outs = []
        for u in range(len(self.tu)):
            x = torch.cat((self.tu[u](x), skips[-(u + 1)]), dim=1)
            x = self.conv_blocks_localization[u](x)
            outs.append(self.seg_outputs[u](x))
        return outs[::-1]


def init_he(module):
    if isinstance(module, (nn.Conv3d, nn.Conv2d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        module.weight = nn.init.kaiming_normal_(module.weight, a=1e-2)
        if module.bias is not None:
            module.bias = nn.init.constant_(module.bias, 0)


def write_tensors(folder, named):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "manifest.txt"), "w") as f:
        for name, t in named:
            t = t.detach().contiguous()
            dtype = "int64" if t.dtype == torch.int64 else "float32"
            t.numpy().astype(DTYPES[dtype][0]).tofile(os.path.join(folder, name + ".bin"))
            f.write(" ".join([name, dtype] + [str(s) for s in t.shape]) + "\n")


def read_tensors(folder):
    out = {}
    with open(os.path.join(folder, "manifest.txt")) as f:
        for line in f:
            name, dtype, *shape = line.split()
            a = np.fromfile(os.path.join(folder, name + ".bin"), dtype=DTYPES[dtype][0])
            out[name] = torch.from_numpy(a.reshape([int(s) for s in shape]))
    return out


def main():
    torch.set_num_threads(2)
    mode, cfg = sys.argv[1], json.loads(sys.argv[2])
    net = GenericUNet(cfg)
    if mode == "names":
        with open(sys.argv[3], "w") as f:
            for name, t in net.state_dict().items():
                f.write(" ".join([name] + [str(s) for s in t.shape]) + "\n")
    elif mode == "init":
        torch.manual_seed(int(sys.argv[3]))
        net.apply(init_he)
        write_tensors(sys.argv[4], net.state_dict().items())
    elif mode == "forward":
        folder = sys.argv[3]
        net.load_state_dict(read_tensors(os.path.join(folder, "weights")), strict=True)
        x = read_tensors(os.path.join(folder, "input"))["x"]
        net.train()
        outs = net(x)
        loss = sum((o * o).mean() for o in outs)
        loss.backward()
        named = [("out%d" % i, o) for i, o in enumerate(outs)]
        named += [("grad." + k, p.grad) for k, p in net.named_parameters()]
        named += [("state." + k, v) for k, v in net.state_dict().items()]  # BN running statistics after the step
        write_tensors(os.path.join(folder, "out"), named)
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
