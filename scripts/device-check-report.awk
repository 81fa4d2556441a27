# Turns device-check.sh's results (KEY<TAB>VALUE lines, a key repeated for lists) into report.md
# and report.json. Plain awk: the GPU machine has no .NET, and maybe no Python.
function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, " ", s); return "\"" s "\"" }
function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
{
  k = $1; v = $2
  if (!(k in count)) order[++n] = k
  count[k]++; val[k, count[k]] = v
}
function one(k) { return (k in count) ? val[k, 1] : "" }
function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f×", a / b) : "n/a" }
END {
  # JSON: every key once; repeated keys become arrays; numbers stay numbers.
  printf "{\n" > json
  for (i = 1; i <= n; i++) {
    k = order[i]
    printf "  %s: ", esc(k) > json
    if (count[k] == 1) printf "%s", (num(val[k, 1]) ? val[k, 1] : esc(val[k, 1])) > json
    else {
      printf "[" > json
      for (j = 1; j <= count[k]; j++) printf "%s%s", (j > 1 ? ", " : ""), (num(val[k, j]) ? val[k, j] : esc(val[k, j])) > json
      printf "]" > json
    }
    printf "%s\n", (i < n ? "," : "") > json
  }
  printf "}\n" > json

  dev = one("device"); mode = one("mode")
  printf "# Device check: %s (%s)\n\n", dev, (mode == "dry" ? "dry run: small epochs" : "full") > md
  if ("gpu" in count) printf "GPU: %s\n\n", one("gpu") > md
  printf "%s step(s) failed; %s s in all.\n\n", one("failures"), one("total.seconds") > md
  printf "| step | status | seconds |\n| --- | --- | --- |\n" > md
  split("devices verify bench mnist-mlp mnist-cnn cifar10-vgg torch", steps, " ")
  for (i = 1; i <= 7; i++) {
    s = steps[i]
    if ((s ".status") in count) printf "| %s | %s | %s |\n", s, one(s ".status"), one(s ".seconds") > md
  }
  for (i = 1; i <= n; i++) if (order[i] ~ /\.failure$/) printf "\nFAILED %s: %s\n", order[i], one(order[i]) > md

  printf "\n## verify --device %s\n\n```\n", dev > md
  for (j = 1; j <= count["verify.family"]; j++) printf "%s\n", val["verify.family", j] > md
  for (j = 1; j <= count["verify.detail"]; j++) printf "    %s\n", val["verify.detail", j] > md
  printf "%s\n```\n", one("verify.summary") > md

  printf "\n## bench (matmul as %% of cuBLAS, activations as %% of copy bandwidth)\n\n" > md
  for (j = 1; j <= count["bench.row"]; j++) printf "%s\n", val["bench.row", j] > md
  for (j = 1; j <= count["bench.note"]; j++) printf "\n%s\n", val["bench.note", j] > md

  printf "\n## MNIST, one epoch (losses against the same run on the CPU side, scripts/device-check.expected)\n\n" > md
  printf "| net | train loss | test loss | accuracy | epoch s | img/s | CPU side (train, test, acc) | \\|Δ\\| train, test | |\n" > md
  printf "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n" > md
  for (i = 1; i <= 2; i++) {
    m = (i == 1 ? "mlp" : "cnn"); p = "mnist-" m
    if (!((p ".train_loss") in count)) { printf "| %s | %s | | | | | | | |\n", m, one(p ".status") > md; continue }
    split(one(p ".loss_check"), c, " ")
    if (c[1] != "agree" && c[1] != "DIFFER") { c[1] = one(p ".loss_check"); c[2] = c[3] = "" }
    printf "| %s | %.4f | %.4f | %.2f%% | %.1f | %.0f | %s | %s | %s |\n", m, one(p ".train_loss"), one(p ".test_loss"),
      100 * one(p ".accuracy"), one(p ".epoch_seconds"), one(p ".images_per_sec"), one(p ".expected"),
      (c[2] == "" ? "" : c[2] ", " c[3]), c[1] > md
  }

  if (!("cifar10-vgg.epochs" in count)) printf "\n## CIFAR-10 vgg (BatchNorm)\n\n%s\n", one("cifar10-vgg.status") > md
  else printf "\n## CIFAR-10 vgg (BatchNorm): %s epoch(s) within its limit\n\n", one("cifar10-vgg.epochs") > md
  if ("cifar10-vgg.epochs" in count) printf "| epoch | train loss | test loss | accuracy | seconds | img/s |\n| --- | --- | --- | --- | --- | --- |\n" > md
  vggs = 0
  for (j = 1; j <= count["cifar10-vgg.epoch"]; j++) {
    split(val["cifar10-vgg.epoch", j], e, " ")
    printf "| %s | %.4f | %.4f | %.2f%% | %.1f | %.0f |\n", e[1], e[2], e[3], 100 * e[4], e[5], e[6] > md
    if (j == count["cifar10-vgg.epoch"]) vggs = e[5]
  }

  printf "\n## PyTorch on the same device (scripts/torch_baseline.py)\n\n" > md
  if ("torch.status" in count) printf "%s\n", one("torch.status") > md
  for (j = 1; j <= count["torch.line"]; j++) {
    # torch NET seconds S accuracy A train_loss L
    split(val["torch.line", j], t, " "); tsec[t[2]] = t[4]; tacc[t[2]] = t[6]
  }
  if (count["torch.line"] > 0) {
    ours["mlp"] = one("mnist-mlp.epoch_seconds"); ours["cnn"] = one("mnist-cnn.epoch_seconds"); ours["vgg"] = vggs
    printf "| net | ours s/epoch | PyTorch s/epoch | ours / PyTorch | PyTorch accuracy |\n| --- | --- | --- | --- | --- |\n" > md
    split("mlp cnn vgg", nets, " ")
    for (i = 1; i <= 3; i++) {
      m = nets[i]
      if (m in tsec) printf "| %s | %s | %s | %s | %s |\n", m, ours[m], tsec[m], ratio(ours[m], tsec[m]), tacc[m] > md
    }
  }
}
