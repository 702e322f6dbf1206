"""Trains the tiny byte-level Llama on license texts that ship with Debian.

    /usr/bin/python3 -m bitmod.llm.train -o test/Inputs/llm

Corpus: the plain-text licenses in /usr/share/common-licenses (package
base-files, Essential on every Debian 12 system). Apache-2.0 is held out
for evaluation (no other file there is a variant of it); the symlinks (GPL,
LGPL, GFDL) are skipped so no text is counted twice by name. Tokens are
bytes (vocab 256). One thread, fixed seed and step count, so a run on the
same machine reproduces the fixture.

Writes DIR/tiny-llama-trained.npz (the state dict, float32, names as in
bitmod.llm.zoo.LlamaForCausalLM), DIR/eval-tokens.npy (the first
--eval-tokens bytes of the held-out file, int64 [N]) and
DIR/tiny-llama-trained.json (command, corpus files with sha256, losses).
"""

import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np

LICENSE_DIR = "/usr/share/common-licenses"
TRAIN_FILES = ("GPL-3", "GPL-2", "GPL-1", "LGPL-3", "LGPL-2.1", "LGPL-2",
               "GFDL-1.3", "GFDL-1.2", "MPL-2.0", "MPL-1.1", "Artistic",
               "BSD", "CC0-1.0")
EVAL_FILE = "Apache-2.0"


def read_bytes(name):
    path = os.path.join(LICENSE_DIR, name)
    with open(path, "rb") as f:
        data = f.read()
    return data, hashlib.sha256(data).hexdigest()


def mean_loss(model, stream, seq, batch_rows=8):
    """Mean next-byte cross-entropy (nats) over consecutive windows of
    `seq + 1` bytes of `stream` (every byte but the first of each window
    is a target)."""
    import torch
    n = (len(stream) - 1) // seq
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, n, batch_rows):
            rows = [stream[i * seq:i * seq + seq + 1]
                    for i in range(start, min(n, start + batch_rows))]
            x = torch.from_numpy(np.stack(rows))
            logits = _logits(model, x[:, :-1])
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                reduction="sum")
            total += loss.item()
            count += x[:, 1:].numel()
    return total / count


def _logits(model, ids):
    import torch
    b, t = ids.shape
    return model(ids, torch.ones(b, t, dtype=torch.int64),
                 torch.arange(t)[None].expand(b, t))[0]


def train(out_dir, steps, seq, batch, lr, warmup, eval_tokens, seed):
    import torch
    from bitmod.llm import zoo

    torch.set_num_threads(1)
    corpus = []
    sources = []
    for name in TRAIN_FILES:
        data, digest = read_bytes(name)
        corpus.append(data)
        sources.append({"file": os.path.join(LICENSE_DIR, name),
                        "bytes": len(data), "sha256": digest})
    train_stream = np.frombuffer(b"\n".join(corpus), dtype=np.uint8).astype(
        np.int64)
    held, held_digest = read_bytes(EVAL_FILE)
    eval_stream = np.frombuffer(held, dtype=np.uint8).astype(np.int64)

    model = zoo.build("llama", seed=seed)
    model.train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95))
    gen = torch.Generator().manual_seed(seed)
    stream = torch.from_numpy(train_stream)
    history = []
    t0 = time.process_time()
    for step in range(steps):
        # Linear warmup, then cosine decay to 10% of the peak.
        if step < warmup:
            scale = (step + 1) / warmup
        else:
            frac = (step - warmup) / max(1, steps - warmup)
            scale = 0.1 + 0.45 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr * scale
        starts = torch.randint(0, len(stream) - seq - 1, (batch,),
                               generator=gen)
        x = torch.stack([stream[s:s + seq + 1] for s in starts.tolist()])
        logits = _logits(model, x[:, :-1])
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 20 == 0 or step == steps - 1:
            history.append([step, round(loss.item(), 4)])
            print("step %d loss %.4f (%.0f s)" % (step, loss.item(),
                                                  time.process_time() - t0),
                  flush=True)
    seconds = time.process_time() - t0
    model.eval()
    train_loss = mean_loss(model, train_stream, seq)
    eval_loss = mean_loss(model, eval_stream, seq)

    os.makedirs(out_dir, exist_ok=True)
    state = {k: v.detach().numpy().astype(np.float32)
             for k, v in model.state_dict().items()}
    np.savez_compressed(os.path.join(out_dir, "tiny-llama-trained.npz"),
                        **state)
    np.save(os.path.join(out_dir, "eval-tokens.npy"),
            eval_stream[:eval_tokens].copy())
    meta = {
        "command": "PYTHONPATH=python /usr/bin/python3 -m bitmod.llm.train "
                   + " ".join(sys.argv[1:]),
        "cwd": os.getcwd(),
        "family": "llama", "config": model.config.to_dict(),
        "steps": steps, "seq": seq, "batch": batch, "lr": lr,
        "warmup": warmup, "seed": seed, "threads": 1,
        "train_cpu_seconds": round(seconds, 1),
        "torch": torch.__version__,
        "train_files": sources,
        "eval_file": {"file": os.path.join(LICENSE_DIR, EVAL_FILE),
                      "bytes": len(held), "sha256": held_digest},
        "eval_tokens": "first %d bytes of %s" % (eval_tokens, EVAL_FILE),
        "train_loss_nats": round(train_loss, 4),
        "eval_loss_nats": round(eval_loss, 4),
        "loss_history": history,
    }
    with open(os.path.join(out_dir, "tiny-llama-trained.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("train loss %.4f nats, held-out loss %.4f nats (ppl %.3f), %.0f s"
          % (train_loss, eval_loss, math.exp(eval_loss), seconds))
    return meta


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m bitmod.llm.train",
                                description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--eval-tokens", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    train(a.output, a.steps, a.seq, a.batch, a.lr, a.warmup, a.eval_tokens,
          a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
