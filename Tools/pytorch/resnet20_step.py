#!/usr/bin/env python3
"""Times the CIFAR ResNet-20 SGD training step of `diffnas bench --suite step` in PyTorch.

The same network (3x3 convolutions without bias, batch norm, ReLU; 16-32-64 channels, 3 basic
blocks per stage, 1x1 conv + BN projection shortcuts where the stride or width changes, global
average pooling, a 10-way linear layer), the same step (forward, softmax cross-entropy with the
loss read back to the host, backward, SGD with momentum 0.9, weight decay 5e-4, learning rate
0.1), the same batch (128 images 3x32x32 drawn uniform in [0, 1), labels (i*7) mod 10), on the
same number of threads as the OpenCL device's compute units (default 2). Prints images/s as the
median over the timed steps, and with --json writes the figures for the README's table.

PyTorch is not a dependency of DiffNAS or of its tests: this script only runs where torch is
installed (e.g. `pip install torch` in a virtual environment).

    python3 Tools/pytorch/resnet20_step.py [--threads 2] [--batch 128] [--steps 20] [--json FILE]
"""

import argparse
import json
import platform
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("error: PyTorch is not installed here (pip install torch); this comparison needs it")


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        f = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu((x if self.shortcut is None else self.shortcut(x)) + f)


class ResNet20(nn.Module):
    def __init__(self, classes=10, width=16, blocks=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        layers, cin = [], width
        for cout, stride in [(width, 1), (2 * width, 2), (4 * width, 2)]:
            for b in range(blocks):
                layers.append(BasicBlock(cin, cout, stride if b == 0 else 1))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2, this machine's cores)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--channels-last", action="store_true", help="NHWC memory format (PyTorch's faster CPU layout)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if args.threads < 1 or args.batch < 1 or args.steps < 1 or args.warmup < 0:
        sys.exit("error: --threads, --batch and --steps must be >= 1, --warmup >= 0")

    torch.set_num_threads(args.threads)
    torch.manual_seed(7)
    model = ResNet20()
    generator = torch.Generator().manual_seed(8)
    x = torch.rand(args.batch, 3, 32, 32, generator=generator)
    labels = torch.tensor([(i * 7) % 10 for i in range(args.batch)])
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        value = loss.item()  # read back, as DiffNAS's step does
        loss.backward()
        optimizer.step()
        return value

    for _ in range(args.warmup):
        step()
    samples = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1e3)
    median = statistics.median(samples)
    result = {
        "workload": "resnet20 SGD step",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
        "memory_format": "channels_last" if args.channels_last else "contiguous (NCHW)",
        "cpu": platform.processor() or platform.machine(),
        "batch": args.batch,
        "steps": args.steps,
        "median_ms_per_step": median,
        "min_ms_per_step": min(samples),
        "max_ms_per_step": max(samples),
        "images_per_second": args.batch / median * 1e3,
    }
    print(
        f"PyTorch {result['torch']} ResNet-20 SGD step, batch {args.batch}, {result['threads']} threads, "
        f"{result['memory_format']}, oneDNN {'on' if result['mkldnn'] else 'off'}: "
        f"{median:.1f} ms/step (min {min(samples):.1f}, max {max(samples):.1f}) = {result['images_per_second']:.1f} images/s"
    )
    if args.json:
        try:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=2)
        except OSError as error:
            sys.exit(f"error: cannot write {args.json}: {error.strerror}")


if __name__ == "__main__":
    main()
