#!/usr/bin/python3
"""Trains Haechi's second text model (classifiers/textcnn) and exports it to ONNX.

`haechi train text --arch cnn` writes the corpus files this script reads (ids,
labels, sources; see classifiers/textcnn/dump.go) and reads back what it
writes: model.onnx and selfcheck.json. Run it through that command, not
alone. It needs Debian's python3-torch (CPU) and numpy.

Two stages:
  1. pretraining: a masked-letter model on unlabelled text (informal Korean
     reviews, plus the texts of the training split), so the encoder learns
     how Korean is written before it sees a label;
  2. fine-tuning: the encoder and the heads on the labelled training split,
     with a masked binary cross-entropy (a head a source says nothing about
     does not count), keeping the checkpoint with the lowest validation loss.

Everything is seeded: the same corpus gives the same model within the noise
of multi-threaded float arithmetic.
"""

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work", required=True, help="folder with meta.json and the corpus files")
    p.add_argument("--out", required=True, help="folder to write model.onnx in (selfcheck.json and trainer.json go to --work)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--dilations", default="1:2:4:8", help="one residual convolution per dilation, separated by colons")
    p.add_argument("--kernel", type=int, default=3)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--pretrain-steps", type=int, default=1000, help="0 skips pretraining")
    p.add_argument("--pretrain-batch", type=int, default=128)
    p.add_argument("--pretrain-lr", type=float, default=2e-3)
    p.add_argument("--mask-rate", type=float, default=0.15)
    p.add_argument("--epochs", type=float, default=6)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--noise", type=float, default=0.05, help="rate of spacing noise added to training texts")
    p.add_argument("--evals-per-epoch", type=int, default=4)
    return p.parse_args()


class Progress:
    """A progress bar with an ETA on a terminal; plain lines every few percent otherwise."""

    def __init__(self, phase, total):
        self.phase, self.total, self.start = phase, total, time.time()
        self.tty = sys.stderr.isatty()
        self.last_pct = -1

    def update(self, done, note=""):
        elapsed = time.time() - self.start
        eta = elapsed / done * (self.total - done) if done else 0
        pct = int(100 * done / self.total)
        if self.tty:
            width = 30
            fill = int(width * done / self.total)
            sys.stderr.write("\r%-9s [%s%s] %3d%%  %s  eta %s   " % (
                self.phase, "#" * fill, "." * (width - fill), pct, note, clock(eta)))
            if done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif pct >= self.last_pct + 5 or done >= self.total:
            self.last_pct = pct
            print("%s %d%% (%d/%d) %s elapsed %s eta %s" % (
                self.phase, pct, done, self.total, note, clock(elapsed), clock(eta)), file=sys.stderr, flush=True)

    def log(self, msg):
        if self.tty:
            sys.stderr.write("\r" + " " * 100 + "\r")
        print("%s: %s" % (self.phase, msg), file=sys.stderr, flush=True)


def clock(s):
    s = int(s)
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


class Corpus:
    """One corpus file set: the units of each text, and labels for labelled sets."""

    def __init__(self, work, name, meta, labelled):
        w = meta["unit_width"]
        self.units = np.fromfile(os.path.join(work, name + ".units"), dtype="<i2").reshape(-1, w)
        self.offsets = np.fromfile(os.path.join(work, name + ".offsets"), dtype="<i8")
        self.n = len(self.offsets) - 1
        self.labels = self.sources = None
        if labelled:
            h = len(meta["heads"])
            self.labels = np.fromfile(os.path.join(work, name + ".labels"), dtype=np.int8).reshape(-1, h)
            self.sources = np.fromfile(os.path.join(work, name + ".sources"), dtype=np.uint8)
            assert len(self.labels) == self.n and len(self.sources) == self.n, name
        assert self.offsets[-1] == len(self.units), name

    def length(self, i):
        return int(self.offsets[i + 1] - self.offsets[i])

    def text(self, i):
        return self.units[self.offsets[i]:self.offsets[i + 1]]


def pad_batch(rows):
    """Pads texts to the longest with PadID (0); an empty text is one padding unit."""
    width = max(1, max(len(r) for r in rows))
    out = np.zeros((len(rows), width, 4), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return torch.from_numpy(out)


class Net(nn.Module):
    """Letter and jamo embeddings, residual dilated convolutions, max pooling, heads."""

    def __init__(self, meta, dim, dilations, kernel, hidden, heads, dropout):
        super().__init__()
        self.pad = meta["pad_id"]
        self.letter = nn.Embedding(meta["letters"], dim, padding_idx=0)
        self.initial = nn.Embedding(meta["initials"], dim, padding_idx=0)
        self.medial = nn.Embedding(meta["medials"], dim, padding_idx=0)
        self.final = nn.Embedding(meta["finals"], dim, padding_idx=0)
        self.convs = nn.ModuleList(
            nn.Conv1d(dim, dim, kernel, dilation=d, padding=d * (kernel - 1) // 2) for d in dilations)
        self.drop = nn.Dropout(dropout)
        self.hidden = nn.Linear(dim, hidden)
        self.out = nn.Linear(hidden, heads)
        self.mlm = nn.Linear(dim, meta["letters"])

    def encode(self, u):
        x = self.letter(u[..., 0]) + self.initial(u[..., 1]) + self.medial(u[..., 2]) + self.final(u[..., 3])
        mask = (u[..., 0] != self.pad).to(x.dtype).unsqueeze(1)  # [B,1,L]
        h = x.transpose(1, 2) * mask  # [B,D,L]
        for conv in self.convs:
            h = (h + F.relu(conv(h))) * mask
        return h, mask

    def logits(self, u):
        h, mask = self.encode(u)
        pooled = (h + (mask - 1.0) * 1e4).amax(dim=2)
        return self.out(self.drop(F.relu(self.hidden(self.drop(pooled)))))


class Exported(nn.Module):
    """What ONNX Runtime serves: units [batch, length, 4] int64 → probabilities [batch, heads]."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, units):
        return torch.sigmoid(self.net.logits(units))


def noisy(units, rate, sep, rng):
    """Spacing noise: drops token boundaries and adds new ones, as people type."""
    if rate <= 0 or len(units) < 2:
        return units
    keep = []
    for row in units:
        if row[0] == sep and rng.random() < rate * 4:
            continue
        keep.append(row)
        if row[0] != sep and rng.random() < rate:
            keep.append(np.array([sep, 0, 0, 0], dtype=units.dtype))
    return np.stack(keep) if keep else units


def pretrain(net, meta, corpora, args, rng):
    """Masked-letter pretraining on the unlabelled corpora."""
    steps = args.pretrain_steps
    prog = Progress("pretrain", steps)
    opt = torch.optim.AdamW(net.parameters(), lr=args.pretrain_lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.pretrain_lr, total_steps=steps, pct_start=0.05)
    first, mask_id, sep = meta["first_letter_id"], meta["mask_id"], meta["sep_id"]
    letters = meta["letters"]
    max_units = meta["max_units"]
    # Texts to draw from, with their corpus; very short ones teach little.
    pools = []
    for c in corpora:
        lengths = np.diff(c.offsets)
        pools.append((c, np.nonzero(lengths >= 4)[0]))
    weights = np.array([len(p[1]) for p in pools], dtype=np.float64)
    weights /= weights.sum()
    net.train()
    avg = None
    for step in range(1, steps + 1):
        rows = []
        for _ in range(args.pretrain_batch):
            c, idx = pools[rng.choice(len(pools), p=weights)]
            t = c.text(int(idx[rng.integers(len(idx))]))
            if len(t) > max_units:
                s = int(rng.integers(len(t) - max_units + 1))
                t = t[s:s + max_units]
            rows.append(t)
        u = pad_batch(rows)
        target = u[..., 0].clone()
        letter = target >= 3  # letters, known or not; not padding, boundaries or masks
        pick = (torch.from_numpy(rng.random(target.shape)) < args.mask_rate) & letter
        if not pick.any():
            continue
        roll = torch.from_numpy(rng.random(target.shape))
        masked = pick & (roll < 0.8)
        swapped = pick & (roll >= 0.8) & (roll < 0.9)
        u = u.clone()
        u[masked] = torch.tensor([mask_id, 0, 0, 0])
        u[..., 0][swapped] = torch.from_numpy(rng.integers(first, letters, size=int(swapped.sum())))
        h, _ = net.encode(u)
        hp = h.transpose(1, 2)[pick]  # [picked, D]
        loss = F.cross_entropy(net.mlm(hp), target[pick])
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        sched.step()
        avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
        if step % 10 == 0 or step == steps:
            prog.update(step, "loss %.3f" % avg)
    return avg


def head_weights(train, heads):
    """Positives weigh √(neg/pos), at most 1.5 and at least 1, per head."""
    lab = train.labels
    w = []
    for k in range(heads):
        pos = float((lab[:, k] == 1).sum())
        neg = float((lab[:, k] == 0).sum())
        w.append(min(1.5, max(1.0, math.sqrt(neg / pos))) if pos else 1.0)
    return torch.tensor(w)


def masked_bce(logits, labels, pos_weight):
    known = labels >= 0
    y = labels.clamp(min=0).to(logits.dtype)
    loss = F.binary_cross_entropy_with_logits(logits, y, reduction="none", pos_weight=pos_weight)
    return (loss * known).sum(), int(known.sum())


def batches(corpus, order, size, max_units, noise=0.0, sep=1, rng=None):
    for s in range(0, len(order), size):
        ids = order[s:s + size]
        rows = []
        for i in ids:
            t = corpus.text(int(i))[:max_units]
            if noise and rng is not None:
                t = noisy(t, noise, sep, rng)[:max_units]
            rows.append(t)
        yield pad_batch(rows), torch.from_numpy(corpus.labels[ids].astype(np.int64))


def valid_loss(net, valid, max_units, pos_weight):
    net.eval()
    total, count = 0.0, 0
    order = np.argsort(np.diff(valid.offsets), kind="stable")
    with torch.no_grad():
        for u, y in batches(valid, order, 256, max_units):
            l, n = masked_bce(net.logits(u), y, pos_weight)
            total += l.item()
            count += n
    net.train()
    return total / max(count, 1)


def finetune(net, meta, train, valid, args, rng):
    heads = len(meta["heads"])
    pos_weight = head_weights(train, heads)
    max_units = meta["max_units"]
    per_epoch = math.ceil(train.n / args.batch)
    steps = int(per_epoch * args.epochs)
    check_every = max(1, per_epoch // args.evals_per_epoch)
    params = [p for n, p in net.named_parameters() if not n.startswith("mlm.")]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
    prog = Progress("finetune", steps)
    best, best_state, history = float("inf"), None, []
    step, avg = 0, None
    net.train()
    while step < steps:
        # Batches of similar length waste less on padding: shuffle, then
        # sort within chunks of 50 batches.
        order = rng.permutation(train.n)
        chunk = args.batch * 50
        lengths = np.diff(train.offsets)
        for s in range(0, len(order), chunk):
            part = order[s:s + chunk]
            order[s:s + chunk] = part[np.argsort(lengths[part], kind="stable")]
        starts = rng.permutation(np.arange(0, len(order), args.batch))
        for b in starts:
            ids = order[b:b + args.batch]
            rows = [noisy(train.text(int(i))[:max_units], args.noise, meta["sep_id"], rng)[:max_units] for i in ids]
            u = pad_batch(rows)
            y = torch.from_numpy(train.labels[ids].astype(np.int64))
            l, n = masked_bce(net.logits(u), y, pos_weight)
            loss = l / max(n, 1)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            avg = loss.item() if avg is None else 0.98 * avg + 0.02 * loss.item()
            if step % check_every == 0 or step == steps:
                vl = valid_loss(net, valid, max_units, pos_weight)
                mark = ""
                if vl < best:
                    best, mark = vl, " *"
                    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
                history.append({"epoch": round(step / per_epoch, 3), "train_loss": round(avg, 5), "valid_loss": round(vl, 5)})
                prog.log("epoch %.2f train loss %.4f valid loss %.4f%s" % (step / per_epoch, avg, vl, mark))
            if step % 10 == 0 or step == steps:
                prog.update(step, "loss %.3f" % avg)
            if step >= steps:
                break
    net.load_state_dict(best_state)
    return history


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.work, "meta.json")) as f:
        meta = json.load(f)
    seed = meta["seed"]
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    train = Corpus(args.work, "train", meta, True)
    valid = Corpus(args.work, "valid", meta, True)
    pre = [Corpus(args.work, name, meta, False) for name in ("pretrain", "train")]
    dilations = [int(d) for d in args.dilations.replace(",", ":").split(":")]
    net = Net(meta, args.dim, dilations, args.kernel, args.hidden, len(meta["heads"]), args.dropout)
    report = {"args": vars(args), "parameters": sum(p.numel() for p in net.parameters() if p is not net.mlm.weight)}
    t0 = time.time()
    if args.pretrain_steps > 0:
        report["pretrain_loss"] = pretrain(net, meta, pre, args, rng)
    report["pretrain_seconds"] = round(time.time() - t0)
    t1 = time.time()
    report["finetune"] = finetune(net, meta, train, valid, args, rng)
    report["finetune_seconds"] = round(time.time() - t1)

    os.makedirs(args.out, exist_ok=True)
    exported = Exported(net)
    exported.eval()
    example = pad_batch([train.text(0)[:8]])
    torch.onnx.export(exported, (example,), os.path.join(args.out, "model.onnx"),
                      input_names=["units"], output_names=["probs"],
                      dynamic_axes={"units": {0: "batch", 1: "length"}, "probs": {0: "batch"}},
                      opset_version=17, do_constant_folding=True)
    # torch.onnx.export puts the module back in the mode it found it in;
    # the self-check must see the exported (evaluation-mode) network.
    exported.eval()
    sc = Corpus(args.work, "selfcheck", meta, False)
    with torch.no_grad():
        # A text with no letters is not run: the server gives it zeros.
        expected = [exported(pad_batch([sc.text(i)]))[0].tolist() if sc.length(i) else [0.0] * len(meta["heads"])
                    for i in range(sc.n)]
    with open(os.path.join(args.work, "selfcheck.json"), "w") as f:
        json.dump({"expected": expected}, f)
    with open(os.path.join(args.work, "trainer.json"), "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
