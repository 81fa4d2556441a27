#!/usr/bin/env python3
"""The app's MNIST MLP and CNN and its CIFAR-10 BatchNorm net (vgg) in PyTorch, one epoch each on
the same device, for the side-by-side time ratio in scripts/device-check.sh. Same layers, batch 64,
SGD lr 0.01 momentum 0.9, data resident on the device; the first epoch is timed (as the app's is).
The BN net trains on random CIFAR-shaped images: its time does not depend on the pixels, and
decoding the JPEG archive here would need Pillow. Prints one line per net:
    torch NET seconds S accuracy A train_loss L
Benchmarks/torch_compare.py imports its nets (LeNet too) and training loop for the CPU comparison.
"""
import argparse
import gzip
import json
import os
import sys
import time


def read_idx(path):
    import torch
    with gzip.open(path, "rb") as f:
        data = bytearray(f.read())
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.frombuffer(data, dtype=torch.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(root, split, limit, device):
    import torch
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(root, "mnist", f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(root, "mnist", f"{prefix}-labels-idx1-ubyte.gz"))
    if limit:
        x, y = x[:limit], y[:limit]
    x = (x.to(torch.float32) / 255.0 - 0.1307) / 0.3081
    return x.unsqueeze(1).to(device), y.to(torch.long).to(device)


def nets():
    import torch.nn as nn

    def vgg_block(cin, cout, pool):
        layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        return layers + ([nn.MaxPool2d(2)] if pool else [])

    return {
        "mlp": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)),
        "cnn": lambda: nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)),
        "lenet": lambda: nn.Sequential(
            nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)),
        "vgg": lambda: nn.Sequential(
            *vgg_block(3, 64, False), *vgg_block(64, 128, True), *vgg_block(128, 256, True), *vgg_block(256, 256, True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10)),
    }


def epoch(model, x, y, device, batch=64):
    return epochs(model, x, y, device, batch, 1)[0]


def epochs(model, x, y, device, batch=64, count=1):
    """Trains COUNT epochs with one optimizer; returns (seconds, mean train loss) of each."""
    import torch
    import torch.nn.functional as F
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    g = torch.Generator(device="cpu").manual_seed(0)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    results = []
    for _ in range(count):
        order = torch.randperm(x.shape[0], generator=g).to(device)
        total = torch.zeros((), device=device)
        sync()
        start = time.perf_counter()
        for i in range(0, x.shape[0], batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * idx.shape[0]
        sync()
        results.append((time.perf_counter() - start, (total / x.shape[0]).item()))
    return results


def accuracy(model, x, y):
    import torch
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / x.shape[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--data", default=os.environ.get("DATASETS_DIR", "datasets"))
    p.add_argument("--out", default=None, help="JSON file for the results")
    p.add_argument("--limit-train", type=int, default=0)
    p.add_argument("--limit-test", type=int, default=0)
    p.add_argument("--cifar-images", type=int, default=50000)
    a = p.parse_args()
    try:
        import torch
    except ImportError:
        print("error: PyTorch is not installed", file=sys.stderr)
        return 1
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"error: --device {a.device}: torch sees no CUDA device", file=sys.stderr)
        return 1
    device = torch.device(a.device)
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'}", flush=True)
    results = {}
    xtr, ytr = mnist(a.data, "train", a.limit_train, device)
    xte, yte = mnist(a.data, "test", a.limit_test, device)
    make = nets()
    for name in ("mlp", "cnn"):
        model = make[name]().to(device)
        secs, loss = epoch(model, xtr, ytr, device)
        acc = accuracy(model, xte, yte)
        results[name] = {"seconds": secs, "accuracy": acc, "train_loss": loss}
        print(f"torch {name} seconds {secs:.2f} accuracy {acc:.4f} train_loss {loss:.4f}", flush=True)
    del xtr, ytr, xte, yte
    gen = torch.Generator(device="cpu").manual_seed(1)
    xc = torch.randn(a.cifar_images, 3, 32, 32, generator=gen).to(device)
    yc = torch.randint(0, 10, (a.cifar_images,), generator=gen).to(device)
    model = make["vgg"]().to(device)
    secs, loss = epoch(model, xc, yc, device)
    results["vgg"] = {"seconds": secs, "accuracy": None, "train_loss": loss, "images": a.cifar_images, "data": "random"}
    print(f"torch vgg seconds {secs:.2f} accuracy n/a train_loss {loss:.4f}", flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"torch": torch.__version__, "device": str(device), "nets": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
