#!/usr/bin/env python3
"""This project on OpenCL against PyTorch on the CPU, side by side in one run (issue 18's table).

Each row runs in this project (the `activations` app: `train` for the models, `bench` for matmul and
the activations) and then at once in PyTorch with --threads threads, so both halves see the same load
on shared cores. Models: MNIST MLP full epoch (batch 64), MNIST CNN on 12,800 images (batch 64),
CIFAR-10 LeNet on 20,000 images (batch 32), SGD lr 0.01 momentum 0.9; each trains --epochs epochs
and the last one is timed (the first includes kernel compilation). PyTorch's LeNet trains on random
CIFAR-shaped images (its time does not depend on the pixels; decoding the JPEG archive would need
Pillow). The matmul and activation rows run in --rounds alternated rounds (ours, then PyTorch), each
side timed by the same rule (mean over ≥ 1 s), and each side's best round is the figure: on a shared
VM one second's mean can move by half, and alternating gives both sides the same chance of a quiet
one. Ratio = ours / PyTorch in time: below 1 we are faster. Needs /usr/bin/python3 with Debian's
python3-torch and libopenblas0-pthread.

    python3 Benchmarks/torch_compare.py [--app PATH] [--device opencl] [--threads 2] [--rounds 3] [--quick]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import torch_baseline  # noqa: E402  (the PyTorch nets and training loop, shared with the device check)

ELEMENTS = 16 * 1024 * 1024
MODELS = [  # name, label, dataset, images (0: all), batch
    ("mlp", "MNIST MLP epoch (60,000 images, batch 64)", "mnist", 0, 64),
    ("cnn", "MNIST CNN epoch, 12,800 images (batch 64)", "mnist", 12800, 64),
    ("lenet", "CIFAR-10 LeNet epoch, 20,000 images (batch 32)", "cifar10", 20000, 32),
]


def fail(msg, code=1):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(code)


def run_app(app, args):
    p = subprocess.run([app] + args, capture_output=True, text=True)
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        fail(f"{os.path.basename(app)} {' '.join(args)} exited {p.returncode}: {' | '.join(tail)}")
    return p.stdout


def ours_epoch(app, device, data, out, name, dataset, images, batch, epochs):
    args = ["train", "--model", name, "--dataset", dataset, "--batch", str(batch), "--epochs", str(epochs),
            "--device", device, "--data", data, "--out", out, "--limit-test", "1000", "--check-every", "1000000"]
    if images:
        args += ["--limit-train", str(images)]
    text = run_app(app, args)
    m = re.search(r"^run folder: (.+)$", text, re.M)
    if not m:
        fail(f"train {name}: no 'run folder:' line in its output")
    with open(os.path.join(m.group(1).strip(), "metrics.csv")) as f:
        rows = [line.split(",") for line in f.read().strip().splitlines()[1:]]
    return float(rows[-1][4]), float(rows[-1][1])  # seconds, train loss of the last epoch


def torch_epoch(name, data, images, batch, epochs):
    import torch
    device = torch.device("cpu")
    torch.manual_seed(0)
    if name == "lenet":
        gen = torch.Generator(device="cpu").manual_seed(1)
        x = torch.randn(images, 3, 32, 32, generator=gen)
        y = torch.randint(0, 10, (images,), generator=gen)
    else:
        x, y = torch_baseline.mnist(data, "train", images, device)
    model = torch_baseline.nets()[name]()
    secs, loss = torch_baseline.epochs(model, x, y, device, batch, epochs)[-1]
    return secs, loss


def ours_bench(app, device, sizes, elements):
    text = run_app(app, ["bench", "--device", device, "--elements", str(elements),
                         "--matmul", ",".join(map(str, sizes)), "--activations", "talu,exlu,gelu"])
    res = {}
    for act in ("talu", "exlu", "gelu"):
        m = re.search(rf"^{act} \d+: forward [\d.]+ ms, backward [\d.]+ ms, ([\d.]+) M elem/s.*= (\d+)% of copy", text, re.M)
        res[act] = (float(m.group(1)), m.group(2)) if m else (None, None)
    for n in sizes:
        m = re.search(rf"^matmul A·B {n}³ \(\w+\): [\d.]+ ms, ([\d.]+) GFLOP/s", text, re.M)
        res[f"mm{n}"] = (float(m.group(1)) if m else None, None)
    return res


def timed(fn):
    """Mean seconds of fn over at least 1 s or 50 runs after one warm-up: the rule `activations bench`
    times this project's side by (QuickBench.Time), so both sides carry the same noise."""
    fn()  # warm-up
    runs, start = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= 1.0 or runs >= 50:
            return elapsed / runs


def torch_matmul(n):
    import torch
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2.0 * n ** 3 / timed(lambda: torch.mm(a, b)) / 1e9


def torch_activation(kind, elements):
    """M elements/s of forward + backward, as `activations bench` counts it."""
    import torch
    import torch.nn.functional as F
    x = (torch.rand(elements) * 8 - 4).requires_grad_(True)
    g = torch.ones(elements)
    fns = {
        "talu (composed)": lambda v: torch.where(v >= 0, v, torch.tanh(v)),
        "exlu (composed)": lambda v: torch.where(v >= 0, v, torch.expm1(v)),
        "gelu (native, tanh)": lambda v: F.gelu(v, approximate="tanh"),
        "elu (native)": lambda v: F.elu(v),
    }
    f = fns[kind]

    def step():
        x.grad = None
        f(x).backward(g)
    return elements / timed(step) / 1e6


def load():
    return os.getloadavg()[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", default=os.path.join(ROOT, "Training", "bin", "Release", "net10.0", "activations"),
                   help="the activations app (default: the Release build in this repository)")
    p.add_argument("--device", default="opencl", help="this project's accelerator (default opencl)")
    p.add_argument("--data", default=os.environ.get("DATASETS_DIR") or os.path.join(ROOT, "datasets"))
    p.add_argument("--threads", type=int, default=2, help="PyTorch's threads (default 2)")
    p.add_argument("--epochs", type=int, default=2, help="epochs per model; the last is timed (default 2)")
    p.add_argument("--rounds", type=int, default=3,
                   help="alternated rounds of the matmul and activation rows; each side's best is kept (default 3)")
    p.add_argument("--quick", action="store_true", help="a smoke run: 1/20 of the images, 1M elements, matmul 256/512")
    a = p.parse_args()
    if not (os.path.isfile(a.app) and os.access(a.app, os.X_OK)):
        fail(f"--app '{a.app}': no executable there (build it: dotnet build Training/Training.csproj -c Release)", 2)
    if a.threads < 1 or a.epochs < 1 or a.rounds < 1:
        fail(f"--threads {a.threads} / --epochs {a.epochs} / --rounds {a.rounds}: expected whole numbers ≥ 1", 2)
    try:
        import torch
    except ImportError:
        fail("PyTorch is not installed (apt-get install python3-torch libopenblas0-pthread; use /usr/bin/python3)")
    torch.set_num_threads(a.threads)
    sizes, elements, scale = ([256, 512], 1 << 20, 20) if a.quick else ([1024, 2048], ELEMENTS, 1)
    out = tempfile.mkdtemp(prefix="torch-compare-")
    rows = []  # (work, ours, torch, ratio text, load)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"this project on {a.device}; {os.cpu_count()} cores; load {load():.2f}", flush=True)
    try:
        for name, label, dataset, images, batch in MODELS:
            n = (images or 60000) // scale
            ours, ours_loss = ours_epoch(a.app, a.device, a.data, out, name, dataset, n, batch, a.epochs)
            theirs, _ = torch_epoch(name, a.data, n, batch, a.epochs)
            rows.append((label if scale == 1 else f"{name} epoch, {n} images", f"{ours:.2f} s", f"{theirs:.2f} s",
                         f"{ours / theirs:.2f}", load()))
            print(f"{name}: ours {ours:.2f} s (train loss {ours_loss:.4f}), torch {theirs:.2f} s", flush=True)
        kinds = {"talu": "talu (composed)", "exlu": "exlu (composed)", "gelu": "gelu (native, tanh)", "elu": "elu (native)"}
        ours_runs, theirs_runs = {}, {}  # key -> [(throughput, % of copy or None)] over the rounds
        for r in range(a.rounds):
            bench = ours_bench(a.app, a.device, sizes, elements)
            theirs = {f"mm{n}": torch_matmul(n) for n in sizes}
            theirs.update({act: torch_activation(kind, elements) for act, kind in kinds.items()})
            for key, value in bench.items():
                if value[0] is None:
                    fail(f"bench printed no {key} line ({'matmul A·B ' + key[2:] + '³' if key.startswith('mm') else key})")
                ours_runs.setdefault(key, []).append(value)
            for key, value in theirs.items():
                theirs_runs.setdefault(key, []).append((value, None))
            print(f"round {r + 1} (ours / torch): matmul "
                  + ", ".join(f"{n}³ {bench[f'mm{n}'][0]:.0f} / {theirs[f'mm{n}']:.0f}" for n in sizes) + " GFLOP/s; "
                  + ", ".join(f"{act} {bench[act][0]:.0f} / {theirs[act]:.0f}" for act in ("talu", "exlu", "gelu"))
                  + f" M elem/s (native ELU {theirs['elu']:.0f})", flush=True)

        def best(runs, key):
            """The best round's (throughput, % of copy) and the text 'best (lowest–best)' where rounds differ."""
            top = max(runs[key], key=lambda v: v[0])
            low = min(v[0] for v in runs[key])
            return top, f"{top[0]:.0f}" + (f" ({low:.0f}–{top[0]:.0f})" if len(runs[key]) > 1 else "")

        for n in sizes:
            (ours, _), ours_text = best(ours_runs, f"mm{n}")
            (theirs, _), theirs_text = best(theirs_runs, f"mm{n}")
            rows.append((f"matmul {n}³ (GFLOP/s)", ours_text, theirs_text, f"{ours / theirs:.2f}× the throughput", load()))
        (elu, _), elu_text = best(theirs_runs, "elu")
        for act, label in (("talu", "TaLU"), ("exlu", "ExLU"), ("gelu", "GELU")):
            (ours, pct), ours_text = best(ours_runs, act)
            (theirs, _), theirs_text = best(theirs_runs, act)
            rows.append((f"{label} forward+backward, {elements:,} elements (M elem/s)",
                         f"{ours_text}, {pct}% of copy", f"{theirs_text} {kinds[act].split(' ', 1)[1]}; native ELU {elu_text}",
                         f"{ours / theirs:.2f}× / {ours / elu:.2f}× the throughput", load()))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print()
    if a.rounds > 1:
        print(f"matmul and activations: the best of {a.rounds} alternated rounds, the range in brackets")
    print(f"| work | this project ({a.device}) | PyTorch-CPU, {a.threads} threads | ratio (time: < 1 we are faster) | load |")
    print("| --- | --- | --- | --- | --- |")
    for work, ours, theirs, ratio, ld in rows:
        print(f"| {work} | {ours} | {theirs} | {ratio} | {ld:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
