#!/usr/bin/env python3
"""Train the monitor's learned command-text scorer and measure it on everyday work it
has never seen.

Usage::

    python3 -m pip install 'corral[train]'       # scikit-learn, for training only
    PYTHONPATH=src python3 scripts/train_scorer.py [--out FILE] [--sample N]
        [--eco-folds K] [--eco-before SET] [--min-sets N] [--forward SET...]
        [--left-out SET...] [--fold-fp F] [--mean-fp F] [--refresh-breadth]
        [--benign F] [--ngrams-lower-only] [--common-df F] [--common-cap W]
        [--replay-cache FILE] [--lines FILE] [--scores FILE] [--json]

Data (nothing else is read; the fresh held-out set being built, ``heldout21_*``, and
later ones are deliberately not: :data:`FRESH`):

* the labelled corpora in ``src/corral/monitor/corpus``: ``default.jsonl`` (the
  development set, "dev") and the held-out sets 1 (``heldout_*``) to 20
  (``heldout20_*``); command lines only;
* benign breadth, ``scripts/scorer_data/benign_breadth.jsonl``: everyday command lines
  so the model does not learn "unusual == bad". ``--refresh-breadth`` rebuilds it on
  this machine from the EXAMPLES sections and display blocks of the installed man pages
  (``/usr/share/man/man1``, ``man8``), the shell blocks of corral's README and docs and
  of the READMEs of the installed Python and npm packages;
  lines the default rule pack alerts on are left out (documentation of attacks). The
  file is committed, so training needs no network and gives the same model anywhere;
* ``scripts/scorer_data/everyday_classes.jsonl``: everyday lines written by hand, each
  with its class of work, none a copy of a corpus line; a line written after reading
  held-out set N's false positives says so (``"from": "N"``) and is left out of
  training whenever set N is held out, and of every forward fold up to N.

Each command is replayed the way ``corral monitor eval`` and a live sandbox see it
(:func:`corral.monitor.evaluate.command_events`); the scorer scores what the monitor's
hook scores on those events and an item alerts when the highest score passes the
threshold; the rules' verdict comes from the same events.

Validation: **leave-ecosystems-out** (:func:`ecosystem_folds`, ``--eco-folds``): the
everyday lines of every corpus grouped by the tool they run (:func:`ecosystem`), the
tools cut into folds whole: a fold's everyday lines are measured by a model trained
without every everyday line of its tools (corpora, breadth, hand-written), but the
hand-written and breadth lines of a tool :data:`ECO_COMMON` corpora share (git, curl,
docker...: everybody writes lines for those). Set 11's everyday work came from
ecosystems absent from training and the scorer's false positives rose ~6-8x over what
forward folds (set k measured by a model of what was known before it,
:func:`forward_train`) had estimated; the worst leave-ecosystems-out fold comes nearer.
The threshold: the :data:`TOP_N`-th highest in-sample score of a training corpus's
everyday line the rules do not raise, plus the smallest margin keeping the false
positives the scorer adds at or below ``--fold-fp`` on each ecosystem fold and
``--mean-fp`` on their mean, and the same on the **set-and-tools-out** folds
(:func:`set_folds`, ``--set-folds``: a recent held-out set's everyday lines measured by
a model trained without that set and without every everyday line of its tools: a fresh
set shares a domain and style the ecosystem folds leave in training; on what model 5
knew they predicted its fresh false positives nearer). Forward folds (``--forward``,
default 18 and 19) and leave-one-set-out (``--left-out``, default none) are measured
with that margin. **Ship check** (:func:`ship_check`): the script writes the shipped
model file only if the scorer adds <= 0.5 % false positives on each ecosystem fold and
each set-and-tools-out fold (mean <= 0.3 % for each kind), the last forward fold
(``FRESH`` - 1, set 19) alerts >= 88 %
with rules OR scorer, >= 8 points over the rules, at <= 0.5 % added, and it fires on
none of corral's own shell steps; otherwise it says why and writes nothing (give
``--out`` to write elsewhere). All tables are stored in the model.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import re
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from corral.monitor.scorer import (  # noqa: E402
    MODEL_PATH,
    CommandScorer,
    command_texts,
    line_features,
    reject_pattern,
)

CORPUS = ROOT / "src" / "corral" / "monitor" / "corpus"
BREADTH = ROOT / "scripts" / "scorer_data" / "benign_breadth.jsonl"
#: everyday lines written by hand, by class of work, that a bag of words takes for an
#: attack (secrets tools used normally, ``sudo -n true``, base64 decoding of literals,
#: narrowing permissions, services, diagnostics, clean-ups, cloud identity...)
EVERYDAY = ROOT / "scripts" / "scorer_data" / "everyday_classes.jsonl"
#: (set name, attack file, benign file); default.jsonl holds both labels
SETS: list[tuple[str, str, str | None]] = [
    ("dev", "default.jsonl", None),
    ("1", "heldout_attacks.jsonl", "heldout_benign.jsonl"),
    ("2", "heldout2_attacks.jsonl", "heldout2_benign.jsonl"),
    ("3", "heldout3_attacks.jsonl", "heldout3_benign.jsonl"),
    ("4", "heldout4_attacks.jsonl", "heldout4_benign.jsonl"),
    ("5", "heldout5_attacks.jsonl", "heldout5_benign.jsonl"),
    ("6", "heldout6_attacks.jsonl", "heldout6_benign.jsonl"),
    ("7", "heldout7_attacks.jsonl", "heldout7_benign.jsonl"),
    ("8", "heldout8_attacks.jsonl", "heldout8_benign.jsonl"),
    ("9", "heldout9_attacks.jsonl", "heldout9_benign.jsonl"),
    ("10", "heldout10_attacks.jsonl", "heldout10_benign.jsonl"),
    ("11", "heldout11_attacks.jsonl", "heldout11_benign.jsonl"),
    ("12", "heldout12_attacks.jsonl", "heldout12_benign.jsonl"),
    ("13", "heldout13_attacks.jsonl", "heldout13_benign.jsonl"),
    ("14", "heldout14_attacks.jsonl", "heldout14_benign.jsonl"),
    ("15", "heldout15_attacks.jsonl", "heldout15_benign.jsonl"),
    ("16", "heldout16_attacks.jsonl", "heldout16_benign.jsonl"),
    ("17", "heldout17_attacks.jsonl", "heldout17_benign.jsonl"),
    ("18", "heldout18_attacks.jsonl", "heldout18_benign.jsonl"),
    ("19", "heldout19_attacks.jsonl", "heldout19_benign.jsonl"),
    ("20", "heldout20_attacks.jsonl", "heldout20_benign.jsonl"),
]
#: the freshest held-out set (being built, measured by nobody yet): never read, nor
#: any later one
FRESH = 21
assert all(name == "dev" or int(name) < FRESH for name, *_ in SETS), "a fresh set is read"
LEFT_OUT = [str(n) for n in range(2, FRESH)]
C = 0.1
#: weights smaller than this are left out of the model (size, load time)
PRUNE = 0.005
#: the first fit's weight a feature needs to be allowed a positive weight in the model
STRONG = 0.05
#: the n-gram lengths training weighs (the scorer makes 3-grams too: a model without
#: them weighs them nothing). Without 3-grams a long everyday token no longer adds up
#: dozens of small positive weights (``pro``, ``der``, ``fal``...): set 9 left out,
#: the added false positives at 90 % detection fell from 5 to 1 of 834
NGRAMS = (4, 5)
VERSION = "10"
#: how much more each later held-out set's lines weigh (:func:`sample_weights`)
LATE = 0.5
#: the benign class's total weight against the attacks' (1: balanced)
BENIGN = 2.0
#: forward folds: set k measured by a model trained on the sets before it; the margin is
#: chosen on all but the last, which is the estimate of a fresh set
FORWARD = ["18", "19"]
#: what the margin is chosen for: the false positives the scorer adds (the everyday lines
#: it alerts on that the rules do not) on each choosing forward fold, and on their mean.
#: Below the ship criterion (0.4 % each, 0.3 % mean) by the factor a next set costs: a
#: margin chosen at 0.4 %/0.3 % on folds 6-8 let set 9 add 0.48-0.72 % (five settings);
#: chosen at 0.25 %/0.15 %, set 9 added none
FOLD_FP = 0.004
MEAN_FP = 0.002
#: an n-gram feature's value in training (a token or bigram's is 1): the five 4- and
#: 5-grams of a word are one signal, and L2 regularises a signal spread over k equal
#: features k times less than one feature; so a common word (``sudo``, ``/dev/``,
#: ``/etc/``) weighed ~2 logits through its n-grams, and an unknown tool's name or
#: argument that shares them pushed an everyday line toward "attack". Tried at 0.3 (on
#: what was known before set 11): forward fold 11 lost ~1-2 points of detection at the
#: same added false positives, the ecosystem folds did not improve: 1 (no scaling)
NGRAM_SCALE = 1.0
#: leave-ecosystems-out folds (:func:`ecosystem_folds`)
ECO_FOLDS = 5
#: the sets the set-and-tools-out folds hold out (:func:`set_folds`)
SET_FOLDS = ["15", "16", "17", "18", "19"]
#: a tool whose everyday lines this many corpora hold (git, curl, docker, make...: 196
#: before set 11) keeps its hand-written and breadth lines in training when its fold
#: holds it out (:func:`ecosystem_folds`): with none kept, the worst fold was always
#: ``curl`` without a benign curl line (installers piped to a shell, vendor API reads),
#: no fresh set's situation
ECO_COMMON = 4
#: the attacks of how many training corpora a feature must occur in to weigh for an
#: attack (:meth:`Trainer.attack_support`). Tried at 3 (on what was known before set
#: 11): forward fold 11 lost ~0.5-1 point at the same added false positives, the
#: ecosystem folds did not improve (as model 6 found on folds 9-10): 1 (no condition)
MIN_SETS = 1
#: a feature held by at least this share of the training everyday lines weighs at most
#: :data:`COMMON_CAP` for an attack (:meth:`Trainer.caps`; 1: no cap): ``sed``, ``/tmp/``,
#: ``&&``, ``-i`` pushed a fresh set's near misses over (model 8). On what was known
#: before set 13 (set folds 9-12, forward 13): uncapped, the set folds hold 0.5 % / 0.3 %
#: from margin 5.0 up (forward 13: 75.7 %); capped at 0.3 from 1 %, about as late; capped
#: at 0.1 from 0.3 %, from 3.5 (worst 0.47 %, mean 0.26 %; forward 13 78.3 %, +9.8 points).
#: Sets 1-19 (model 10): at 0.05 from 0.1 %, forward 18's scorer alone 58.2 -> 65.2 % at
#: the margin where the folds just hold 0.5 % / 0.3 % (51.4 -> 56.0 % at the chosen one);
#: forward 19 unmoved (82.4 -> 82.2 % rules OR scorer there)
COMMON_DF = 0.001
COMMON_CAP = 0.05
#: the ship check (:func:`ship_check`): what the model must hold before the script writes
#: the shipped path
SHIP_ECO_FP = 0.005
SHIP_ECO_MEAN = 0.003
SHIP_FWD_DETECT = 0.88
#: issue 12's fresh-set criterion on set 13 (rules alone 68.5 %, model 5 +14.6 points at
#: +0.73 %): the scorer adds at most 0.5 % false positives and at least 8 points of
#: detection over the rules (was 1.5 % and no gain asked, models 7-8)
SHIP_FWD_FP = 0.005
SHIP_FWD_GAIN = 0.08
#: the threshold rule's base is the TOP_N-th highest in-sample score of a training
#: corpus's everyday line (the highest is one line's: with model 6's settings it moved
#: 0-0.58 over forward folds 6-10 and was 1.27 with set 10 in training, one line
#: 0.9 above the next; the 10th moved -0.42 to -0.67)
TOP_N = 10
#: the margins above the training benign base tried, smallest first (to 8: with a heavier
#: benign class the base falls and the folds held from 5.25, past the old end, 5.0)
MARGINS = [round(0.05 * i, 2) for i in range(161)]


@dataclass
class Item:
    group: str  # set name, or "breadth"
    label: int  # 1 attack, 0 benign
    command: str
    texts: list[str] = field(default_factory=list)  # what the monitor's hook scores
    rules: bool = False  # the default rule pack alerts
    #: the held-out set whose leave-one-out false positives an everyday line was
    #: written from (``from`` in everyday_classes.jsonl): left out of training whenever
    #: that set is held out, so its figure stays a fresh set's
    source: str | None = None

    @property
    def key(self) -> str:
        return " ".join(self.command.split()).lower()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(json.loads(line))
    return out


def load_sets(sample: int | None) -> tuple[list[Item], dict[str, str]]:
    """The corpora's command items, and the sha256 of every file read."""
    items: list[Item] = []
    hashes: dict[str, str] = {}
    for name, *files in SETS:
        for fname in files:
            if fname is None:
                continue
            path = CORPUS / fname
            hashes[fname] = _sha256(path)
            got = [
                Item(name, int(o["label"] == "malicious"), o["command"])
                for o in _read_jsonl(path)
                if isinstance(o.get("command"), str)
            ]
            if sample:
                got = got[:: max(1, len(got) // sample)][:sample]
                if name == "dev":  # both labels from the one file
                    got = [i for i in got if i.label] + [i for i in got if not i.label]
            items.extend(got)
    return items, hashes


_INSTALLERS = [
    "curl -fsSL https://get.docker.com | sh",
    "curl -fsSL https://get.docker.com -o get-docker.sh && sudo sh get-docker.sh",
    "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh",
    "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y",
    "curl -LsSf https://astral.sh/uv/install.sh | sh",
    "curl -LsSf https://astral.sh/ruff/install.sh | sh",
    "curl -o- https://raw.githubusercontent.com/nvm-sh/nvm/v0.39.7/install.sh | bash",
    "wget -qO- https://raw.githubusercontent.com/nvm-sh/nvm/v0.40.1/install.sh | bash",
    "curl -fsSL https://bun.sh/install | bash",
    "curl -fsSL https://deno.land/install.sh | sh",
    "curl -sSL https://install.python-poetry.org | python3 -",
    "curl -fsSL https://pixi.sh/install.sh | bash",
    "curl -fsSL https://tailscale.com/install.sh | sh",
    "curl -sfL https://get.k3s.io | sh -",
    "curl -fsSL https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 | bash",
    "curl -fsSL https://ollama.com/install.sh | sh",
    "curl https://pyenv.run | bash",
    "curl -sS https://starship.rs/install.sh | sh -s -- -y",
    "wget -qO- https://get.pnpm.io/install.sh | sh -",
    "curl -fsSL https://code-server.dev/install.sh | sh",
    "curl -fsSL https://get.pulumi.com | sh",
    "curl -sSL https://get.rvm.io | bash -s stable",
    'sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"',
    '/bin/bash -c "$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)"',
    "curl -sL https://aka.ms/InstallAzureCLIDeb | sudo bash",
    "curl -sSL https://sdk.cloud.google.com | bash -s -- --disable-prompts",
    "curl -s https://get.sdkman.io | bash",
    "curl -fsSL https://fnm.vercel.app/install | bash",
    "curl -fsSL https://moonrepo.dev/install/proto.sh | bash",
    "curl -sSfL https://raw.githubusercontent.com/golangci/golangci-lint/master/install.sh | sh -s -- -b $(go env GOPATH)/bin v1.59.1",  # noqa: E501
    "curl -sSfL https://raw.githubusercontent.com/anchore/syft/main/install.sh | sh -s -- -b /usr/local/bin",  # noqa: E501
    "curl -sSfL https://raw.githubusercontent.com/aquasecurity/trivy/main/contrib/install.sh | sh -s -- -b /usr/local/bin",  # noqa: E501
    "curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash - && sudo apt-get install -y nodejs",  # noqa: E501
    "curl -fsSL https://download.docker.com/linux/ubuntu/gpg | sudo gpg --dearmor -o /etc/apt/keyrings/docker.gpg",  # noqa: E501
    "wget -O- https://apt.releases.hashicorp.com/gpg | sudo gpg --dearmor -o /usr/share/keyrings/hashicorp-archive-keyring.gpg",  # noqa: E501
    "curl -fsSL https://cli.github.com/packages/githubcli-archive-keyring.gpg | sudo dd of=/usr/share/keyrings/githubcli-archive-keyring.gpg",  # noqa: E501
    'curl "https://awscli.amazonaws.com/awscli-exe-linux-x86_64.zip" -o "awscliv2.zip" && unzip awscliv2.zip && sudo ./aws/install',  # noqa: E501
    "curl -LO https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubectl && sudo install -o root -g root -m 0755 kubectl /usr/local/bin/kubectl",  # noqa: E501
    "curl -fsSLo /tmp/go.tgz https://go.dev/dl/go1.22.4.linux-amd64.tar.gz && sudo tar -C /usr/local -xzf /tmp/go.tgz",  # noqa: E501
    "curl -L https://github.com/cli/cli/releases/download/v2.50.0/gh_2.50.0_linux_amd64.tar.gz | tar xz",  # noqa: E501
]  # fmt: skip
_SERVICES = [
    ("mysql:8", "3306", ["MYSQL_ROOT_PASSWORD=secret", "MYSQL_PASSWORD=app", "MYSQL_DATABASE=app"]),
    ("mariadb:11", "3306", ["MARIADB_ROOT_PASSWORD=example", "MARIADB_DATABASE=test"]),
    ("postgres:16", "5432", ["POSTGRES_PASSWORD=postgres", "POSTGRES_USER=app", "POSTGRES_DB=app"]),
    ("mongo:7", "27017", ["MONGO_INITDB_ROOT_USERNAME=root", "MONGO_INITDB_ROOT_PASSWORD=example"]),
    ("redis:7", "6379", ["REDIS_PASSWORD=devpass"]),
    ("rabbitmq:3-management", "5672", ["RABBITMQ_DEFAULT_USER=guest", "RABBITMQ_DEFAULT_PASS=guest"]),  # noqa: E501
    ("minio/minio", "9000", ["MINIO_ROOT_USER=minioadmin", "MINIO_ROOT_PASSWORD=minioadmin"]),
    ("elasticsearch:8.13.0", "9200", ["discovery.type=single-node", "ELASTIC_PASSWORD=changeme"]),
    ("grafana/grafana", "3000", ["GF_SECURITY_ADMIN_PASSWORD=admin"]),
    ("mcr.microsoft.com/mssql/server:2022-latest", "1433", ["ACCEPT_EULA=Y", "MSSQL_SA_PASSWORD=Str0ngPass!"]),  # noqa: E501
]  # fmt: skip
_ENV = [
    "export DATABASE_URL=postgres://postgres:postgres@localhost:5432/app",
    "export AWS_PROFILE=dev AWS_REGION=us-east-1",
    "export GITHUB_TOKEN=$(gh auth token)",
    "export KUBECONFIG=$HOME/.kube/config",
    "export PATH=$HOME/.cargo/bin:$PATH",
    'export PATH="$HOME/.local/bin:$PATH"',
    "export NODE_OPTIONS=--max-old-space-size=4096",
    "export OPENAI_API_KEY=$(cat .secrets/openai)",
    "export DOCKER_HOST=unix:///run/user/1000/docker.sock",
    "set -a && source .env && set +a",
    "ssh-keygen -y -f ~/.ssh/id_ed25519 > ~/.ssh/id_ed25519.pub",
    "ssh-keygen -lf ~/.ssh/id_rsa.pub",
    'eval "$(ssh-agent -s)" && ssh-add ~/.ssh/id_ed25519',
    "ssh-copy-id -i ~/.ssh/id_ed25519.pub deploy@build.internal",
    "ssh -T git@github.com",
    "echo $PATH | tr ':' '\\n'",
    "env | grep -i proxy",
    "printenv HOME USER SHELL",
]  # fmt: skip


def everyday_forms() -> list[tuple[str, str]]:
    """Everyday installer, service-container and environment forms that look like
    attacks to a bag of words (install scripts piped to a shell from their projects'
    own hosts, ``docker run -e …PASSWORD=…``, exports, ssh key housekeeping): written
    here from the tools' own install pages, deterministic, no file read."""
    out = [(line, "forms/installer") for line in _INSTALLERS]
    for image, port, envs in _SERVICES:
        name = image.split("/")[-1].split(":")[0]
        flags = " ".join(f"-e {e}" for e in envs)
        out += [
            (f"docker run -d --name {name} -p {port}:{port} {flags} {image}", "forms/docker"),
            (f"docker run --rm -e {envs[0]} -p 127.0.0.1:{port}:{port} {image}", "forms/docker"),
            (f"podman run -d -e {envs[-1]} -p {port}:{port} {image}", "forms/docker"),
            (f"docker exec -it {name} env | grep -i {envs[0].split('_')[0].lower()}", "forms/docker"),  # noqa: E501
        ]  # fmt: skip
    out += [(line, "forms/env") for line in _ENV]
    return out


#: everyday shell steps an agent strings together (status checks, listings, redirects)
_STEPS = [
    "echo rc=$?", "echo done", "echo ok", "echo ---", "echo $?", "pwd", "ls", "ls -la",
    "ls -A /workspace", "ls -la /workspace > /dev/null", "ls / > /dev/null", "id -u", "uname",
    "uname -a", "date", "whoami", "cat out.txt", "cat /workspace/a.txt", "cat *.txt",
    "wc -l out.txt", "head -5 log.txt", "tail -n 20 build.log", "sleep 1", "sleep 0.5",
    "true", "/bin/true", "/bin/echo hi", "mkdir -p out", "mkdir -p d/e && echo x > d/e/f",
    "echo x > out.txt", "echo data >> notes.txt", "echo a > /tmp/a.txt", "touch made.txt",
    "rm -f out.txt", "cd /workspace", "cd src", "cd ..", "test -e out.txt && echo yes",
    "test -d build || mkdir build", "stat -c '%s %U' in.txt", "du -sh .", "df -h /workspace",
    "ps -e -o pid=,comm=", "ps aux | head", "env | sort | head", "echo $HOME $USER",
    "printf '%s\\n' a b c", "seq 3", "sort -n nums.txt | uniq -c", "cut -d: -f1 data.csv",
    "tr a-z A-Z < in.txt", "python3 -c 'print(1)'", "python3 --version", "node -v",
    "git status --short", "git log --oneline -3", "make -j4", "pytest -q tests",
    "kill -0 $(cat app.pid) && echo alive", "kill $(cat server.pid)", "echo $! > job.pid",
    "sleep 30 & echo $! > /tmp/sleeper.pid", "ps -e -o pid,args | grep -c '^python'",
    "pgrep -f uvicorn || echo not-running", "wait $pid; echo exit=$?", "jobs -l",
    "echo x > ro/file 2>/dev/null || echo read-only", "touch /workspace/probe && echo writable",
    "i=0; while [ $i -lt 10 ]; do i=$((i+1)); done; echo $i", "echo $((1 + 2))",
    "pip install --index-url http://127.0.0.1:8080/simple mypkg",
    "python3 -m pip install --no-cache-dir --target ./vendor requests",
    "PYTHONPATH=./vendor python3 -c 'import requests; print(requests.__version__)'",
    "npm install --registry http://localhost:4873 my-lib", "node -e 'console.log(process.version)'",
    "curl -s http://localhost:8000/health; echo", "cat /proc/cpuinfo | grep -c processor",
    "cat /proc/meminfo | head -3", "nproc", "free -m", "uptime",
    "echo y > /tmp/out.txt && cat /tmp/out.txt", "cat /tmp/build.log", "ls -la /tmp",
    "tmp=$(mktemp -d) && cd $tmp", "rm -rf /tmp/build-cache", "cp out.txt /tmp/ && ls /tmp",
    "kill -0 $(cat /tmp/app.pid) && echo running", "ps -e -o args | grep -c '^node'",
    "node -e 'console.log(1 + 1)'", "node -e 'try { require(\"fs\") } catch (e) {}'",
    "python3 -m pip install --index-url http://127.0.0.1:3141/root/dev/+simple/ mypkg",
    "pip download --index-url http://localhost:8080/simple -d wheels mypkg",
    "test -w /workspace && echo writable || echo read-only", "cat /etc/os-release",
]  # fmt: skip
_WRAPS = [
    "{a}; {b}", "{a} && {b}", "{a} || {b}", "{a} > /dev/null; {b}", "{a} 2>&1; {b}",
    "{a} 2>/dev/null || {b}", "{a} | head -20", "{a} | wc -l", "{a} | sort | uniq",
    "{a} | grep -c x", "for i in $(seq 10); do {b}; done", "for f in *.txt; do {b}; done",
    "for i in 1 2 3; do {a}; done; {b}", "while read -r line; do echo $line; done < in.txt; {b}",
    "{a}; echo rc=$?", "({a}); {b}", "{a} & {b}; wait", "if {a}; then {b}; fi",
    "{a} && {b} && echo done", "{a}\n{b}", "set -e; {a}; {b}", "time {a}",
]  # fmt: skip


def compound_forms(lines: list[Item], n: int = 3000) -> list[Item]:
    """Benign lines and everyday steps strung together as agents write shell (``;``,
    ``&&``, pipes, redirects, loops): without them the model learns that a compound
    line is an attack (attack procedures are; everyday examples are mostly one
    command). Built from the breadth lines (always training data), deterministic; a
    compound of an everyday line written from a held-out set's false positives carries
    that set (it leaves training with it)."""
    import random

    rng = random.Random(12)
    pool = [x for x in lines if len(x.command) < 120 and "\n" not in x.command]
    out: list[Item] = []
    for _ in range(n):
        a = rng.choice(pool) if pool and rng.random() < 0.5 else rng.choice(_STEPS)
        b = rng.choice(_STEPS) if rng.random() < 0.7 or not pool else rng.choice(pool)
        a_, b_ = (x.command if isinstance(x, Item) else x for x in (a, b))
        text = rng.choice(_WRAPS).format(a=a_, b=b_)
        source = next((x.source for x in (a, b) if isinstance(x, Item) and x.source), None)
        out.append(Item("breadth", 0, text.replace("\\n", "\n"), source=source))
    return out


def load_breadth(sample: int | None) -> list[Item]:
    got = [Item("breadth", 0, o["command"]) for o in _read_jsonl(BREADTH)]
    got += [Item("breadth", 0, o["command"], source=o.get("from")) for o in _read_jsonl(EVERYDAY)]
    got += [Item("breadth", 0, line) for line, _ in everyday_forms()]
    got += compound_forms(got)
    if sample:
        got = got[: sample * 4]
    return got


# -------------------------------------------------------------------------------- replay


def replay(items: list[Item], cache: Path | None) -> None:
    """Fill each item's hook texts and rules verdict from its replayed events."""
    from corral.monitor.engine import Monitor
    from corral.monitor.evaluate import command_events

    memo: dict[str, Any] = {}
    if cache is not None and cache.exists():
        memo = json.loads(cache.read_text())
    for n, it in enumerate(items):
        got = memo.get(it.command)
        if got is None:
            events = command_events(it.command, f"train-{n}")
            monitor = Monitor(packs=["default"], baseline=False, scorer=False)
            alerted = False
            for ev in events:
                alerted = bool(monitor.observe(ev)) or alerted
            got = memo[it.command] = [command_texts(events), alerted]
        it.texts, it.rules = list(got[0]), bool(got[1])
        if n % 500 == 499:
            print(f"  replayed {n + 1}/{len(items)}", file=sys.stderr)
    if cache is not None:
        cache.write_text(json.dumps(memo))


# ------------------------------------------------------------------------------- training


def featurize(
    commands: list[str], ngrams: tuple[int, ...] = NGRAMS
) -> tuple[Any, list[bytes]]:
    """Binary features (a feature present counts once, as the scorer weighs a window)
    over the vocabulary of every feature the commands hold."""
    from scipy.sparse import csr_matrix

    vocab: dict[bytes, int] = {}
    indptr, indices = [0], []
    for cmd in commands:
        row = {vocab.setdefault(f, len(vocab)) for f in line_features(cmd, ngrams)}
        indices.extend(sorted(row))
        indptr.append(len(indices))
    data = [1.0] * len(indices)
    names = sorted(vocab, key=vocab.__getitem__)
    return csr_matrix((data, indices, indptr), shape=(len(commands), len(vocab))), names


def sample_weights(items: list[Item], benign: float = BENIGN) -> Any:
    """Each training line's weight: a held-out set's lines weigh ``1 + LATE * N`` (later
    sets were written knowing the earlier ones: harder, nearer what comes next; dev and
    the everyday lines weigh 1), then both classes are balanced to the same total, the
    benign one times ``benign`` (:data:`BENIGN`)."""
    import numpy as np

    sw = np.array(
        [1.0 if it.group in ("dev", "breadth") else 1.0 + LATE * int(it.group) for it in items]
    )
    y = np.array([it.label for it in items], dtype=bool)
    att, ben = max(float(sw[y].sum()), 1e-9), max(float(sw[~y].sum()), 1e-9)
    total = float(sw.sum())
    return np.where(y, sw * total / (2 * att), sw * benign * total / (2 * ben))


#: wrappers that run another command with other privileges, limits or environment:
#: the shape of administration (set 11's everyday work: 144 of its 847 lines under
#: ``sudo``), not of an attack; what runs under them is weighed, not them
NEUTRAL_WORDS = ("sudo", "doas", "pkexec", "runuser", "env", "nohup", "nice", "ionice",
                 "timeout", "time", "stdbuf", "setsid", "chrt", "taskset")  # fmt: skip


def neutral_features() -> frozenset[bytes]:
    """The features of :data:`NEUTRAL_WORDS` (the word as a token and at a command's
    position, and the n-grams of it with its blanks around; training holds them at or
    below zero: they can lower a score, never raise it)."""
    out: set[bytes] = set()
    for word in NEUTRAL_WORDS:
        padded = b" " + word.encode() + b" "
        out |= {b"t:" + word.encode(), b"c:" + word.encode()}
        out |= {b"g:" + padded[i : i + k] for k in range(3, 6) for i in range(len(padded) - k + 1)}
    return frozenset(out)


class Trainer:
    def __init__(
        self,
        items: list[Item],
        min_sets: int = 1,
        ngram_scale: float = NGRAM_SCALE,
        neutral: bool = True,
        common_df: float = COMMON_DF,
        common_cap: float = COMMON_CAP,
        ngrams: tuple[int, ...] = NGRAMS,
        benign: float = BENIGN,
        ngram_positive: bool = True,
    ) -> None:
        import numpy as np
        from scipy.sparse import diags

        self.items = items
        #: a feature may weigh for an attack only if the attacks of at least this many
        #: training corpora (dev, held-out sets) hold it (:meth:`attack_support`)
        self.min_sets = min_sets
        #: the benign class's total weight against the attacks' (:func:`sample_weights`)
        self.benign = benign
        #: whether an n-gram may weigh for an attack (``False``: n-grams only lower a
        #: score, so a word training never saw raises none; whole tokens, commands and
        #: bigrams still weigh)
        self.ngram_positive = ngram_positive
        X, self.names = featurize([it.command for it in items], ngrams)
        self.ngrams = ngrams
        #: a feature held by at least this share of the training everyday lines weighs at
        #: most ``common_cap`` for an attack (:meth:`caps`)
        self.common_df, self.common_cap = common_df, common_cap
        #: features that never weigh for an attack (:func:`neutral_features`)
        self.neutral = neutral_features() if neutral else frozenset()
        #: each feature's value in training (its model weight is the fitted one times
        #: it): an n-gram's is ``ngram_scale`` (:data:`NGRAM_SCALE`)
        self.scale = np.array([ngram_scale if n.startswith(b"g:") else 1.0 for n in self.names])
        self.X = (X @ diags(self.scale)).tocsr()
        #: one fit per distinct training set: the inner fold leaving out sets A and B is
        #: the same whichever of them the outer fold left out (55 fits instead of 99)
        self._fits: dict[bytes, tuple[dict[bytes, float], float]] = {}

    def fit(self, train: list[int], threshold: float = 0.0) -> CommandScorer:
        """The model fitted on ``train`` (fitted once per distinct set of items)."""
        key = hashlib.sha256(",".join(map(str, sorted(train))).encode()).digest()
        if key not in self._fits:
            self._fits[key] = self._fit(train)
        weights, bias = self._fits[key]
        return CommandScorer(weights, bias, threshold)

    def attack_support(self, train: list[int]) -> Any:
        """Per feature, how many corpora (dev and each held-out set) have a training
        attack line holding it: a word or n-gram one set's attack lines hold and no other
        is that set's vocabulary (its tools, hosts, file names), not the structure of an
        attack; it is what an unknown everyday tool's name or arguments run into."""
        import numpy as np
        from scipy.sparse import csr_matrix

        att = [i for i in train if self.items[i].label]
        groups = sorted({self.items[i].group for i in att})
        gid = {g: n for n, g in enumerate(groups)}
        rows = [gid[self.items[i].group] for i in att]
        G = csr_matrix((np.ones(len(att)), (rows, range(len(att)))), shape=(len(groups), len(att)))
        present = (G @ self.X[att]) > 0
        return np.asarray(present.sum(axis=0)).ravel()

    def caps(self, train: list[int]) -> Any:
        """Per feature, the most it may weigh for an attack (in training units): a
        feature at least :attr:`common_df` of the training everyday lines hold (``sed``,
        ``/tmp/``, ``&&``, ``-i``: the words a near miss shares with its attack) at most
        :attr:`common_cap`; any other, unbounded. What tells a near miss from its attack
        must then be what the everyday lines do not say: scope and target."""
        import numpy as np

        caps = np.full(self.X.shape[1], np.inf)
        if self.common_df >= 1:
            return caps
        ben = [i for i in train if not self.items[i].label]
        if ben:
            df = np.asarray((self.X[ben] != 0).sum(axis=0)).ravel() / len(ben)
            caps[df >= self.common_df] = self.common_cap / np.where(
                self.scale > 0, self.scale, 1.0)[df >= self.common_df]
        return caps

    def _fit(self, train: list[int]) -> tuple[dict[bytes, float], float]:
        """Two fits: an L2 logistic regression (liblinear) names the features that may
        weigh for an attack (weight >= ``STRONG``, and a pattern the fast reject can
        scan for: not a shape); the model is then fitted again, every other feature's
        weight held at or below zero (L-BFGS-B), so the sum of the positive weights a
        text holds, the fast reject's bound, is found by one small RE2 pass."""
        import numpy as np
        from scipy.optimize import minimize
        from sklearn.linear_model import LogisticRegression

        X = self.X[train]
        y = np.array([self.items[i].label for i in train], dtype=float)
        cw = sample_weights([self.items[i] for i in train], self.benign)
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=2000)
        clf.fit(X, y, sample_weight=cw)
        coef = clf.coef_[0]
        support = self.attack_support(train)
        strong = [
            i for i in np.flatnonzero((coef * self.scale >= STRONG) & (support >= self.min_sets))
            if reject_pattern(self.names[i]) is not None and self.names[i] not in self.neutral
            and (self.ngram_positive or not self.names[i].startswith(b"g:"))
        ]  # fmt: skip
        upper = np.zeros(X.shape[1])
        upper[strong] = self.caps(train)[strong]
        sign = 2 * y - 1
        Xt = X.T.tocsr()

        def loss(params: Any) -> tuple[float, Any]:
            w, b = params[:-1], params[-1]
            z = sign * (X @ w + b)
            val = C * float(cw @ np.logaddexp(0, -z)) + 0.5 * float(w @ w)
            g = -C * cw * sign * (1 / (1 + np.exp(np.clip(z, -50, 50))))
            return val, np.append(w + Xt @ g, g.sum())

        start = np.append(np.minimum(coef, upper), clf.intercept_[0])
        bounds = [(None, None if u == np.inf else float(u)) for u in upper] + [(None, None)]
        got = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 500})  # fmt: skip
        w, b = got.x[:-1] * self.scale, got.x[-1]
        weights = {
            self.names[i]: round(float(w[i]), 3)
            for i in np.flatnonzero(np.abs(w) >= PRUNE)
        }
        return weights, round(float(b), 4)


def item_score(scorer: CommandScorer, it: Item) -> float:
    return max((scorer.score(t).value for t in it.texts), default=-math.inf)


def _disjoint(items: list[Item], train: list[int], held: list[int]) -> list[int]:
    """``train`` without the lines equal to one of ``held`` and the everyday lines
    written from a held set's false positives."""
    keys = {items[i].key for i in held}
    sets = {items[i].group for i in held}
    return [i for i in train if items[i].key not in keys and items[i].source not in sets]


def forward_train(items: list[Item], k: int) -> list[int]:
    """Forward fold ``k``'s training: the dev set and held-out sets before ``k``, the
    breadth, and the everyday lines written before set ``k`` was read (``from`` < ``k``
    or none); lines equal to one of set ``k``'s left out. What a model knew when set
    ``k`` was fresh."""
    keep = []
    for i, it in enumerate(items):
        if it.group == "breadth":
            known = it.source is None or int(it.source) < k
        else:
            known = it.group == "dev" or int(it.group) < k
        if known:
            keep.append(i)
    return _disjoint(items, keep, [i for i, it in enumerate(items) if it.group == str(k)])


#: words that start a command without naming its ecosystem: the program after them does
_LEADERS = frozenset(
    ["sudo", "doas", "env", "time", "nohup", "nice", "ionice", "exec", "command", "builtin",
     "stdbuf", "timeout", "watch", "xargs"]
)  # fmt: skip
#: a leader's options that take the next word (``sudo -u git``, ``env -u VAR``)
_LEADER_ARGS = frozenset(["-u", "-g", "-C", "-D", "-n", "-s", "-k", "-p", "-c", "-o"])
#: commands that prepare the one that names the ecosystem (``cd x && make``)
_PREP = frozenset(["cd", "export", "set", "source", ".", "mkdir", "pushd", "popd", "unset"])
_RUNNERS = frozenset(["python", "python3", "py", "uv", "uvx", "pipx", "npx", "bunx", "pnpx"])


def ecosystem(command: str) -> str:
    """The ecosystem an everyday line belongs to, for the leave-ecosystems-out folds: its
    first program that is not a leader (``sudo``, ``env``, assignments) nor a preparing
    step (``cd``, ``export``), by base name, versions cut (``python3.11`` -> ``python``);
    a module or tool a runner starts stands for it (``python3 -m pytest`` -> ``pytest``,
    ``npx vite`` -> ``vite``)."""
    for part in re.split(r"&&|\|\||[;|\n]", command):
        words = [w for w in part.split() if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", w)]
        while words and (words[0] in _LEADERS or words[0].startswith("-")):
            words = words[2:] if words[0] in _LEADER_ARGS else words[1:]
        if not words or words[0].strip("({") in _PREP or not words[0].strip("({"):
            continue
        prog = words[0].strip("({'\"").rsplit("/", 1)[-1].lower()
        prog = re.sub(r"[-_.]?\d[\d.]*$", "", prog) or prog
        if prog in _RUNNERS and len(words) > 1:
            rest = words[1:]
            if rest[0] in ("-m", "run", "tool", "exec") and len(rest) > 1:
                rest = rest[1:]
            if not rest[0].startswith("-"):
                return rest[0].strip("'\"").rsplit("/", 1)[-1].lower()
        return prog
    return ""


def _eco_fold(name: str, k: int) -> int:
    return zlib.crc32(name.encode()) % k


def ecosystem_folds(
    tr: Trainer, k: int, before: int | None = None, common: int = 0
) -> list[Fold]:
    """Leave-ecosystems-out: the everyday lines of every corpus (dev and the held-out
    sets) are grouped by :func:`ecosystem` and the ecosystems cut into ``k`` folds,
    whole; fold ``j``'s everyday lines are measured by a model trained without ANY
    everyday line of its ecosystems (corpora, breadth, hand-written classes, compounds):
    a fresh set's tools from ecosystems nobody wrote training lines for. The attacks all
    stay in training: the folds measure false positives. Set 11's case: forward folds,
    whose everyday lines share ecosystems with earlier sets, estimated +0.48 % added
    false positives for a fresh set and set 11 gave +2.7 % (the same model and margin;
    +3.8 % for model 5); the worst of these folds, on what was known before set 11,
    gave +2.1 % with ``common`` 0 (that fold was ``curl`` left without a benign curl
    line), 0.66 % with 4 (and fold 11 1.42 % with that model). (Cutting the tools every
    corpus shares line by line instead of whole made every fold <= 0.15 % there.)
    ``before``: only what was known before that set (:func:`forward_train`).
    ``common``: a tool whose everyday lines at least that many corpora hold keeps its
    hand-written and breadth lines in training when held out (its corpus lines still
    leave): everybody writes lines for curl or git; 0: no tool does."""
    items = tr.items
    universe = forward_train(items, before) if before else list(range(len(items)))
    eco, shared = _tools(items, universe, common)
    out = []
    for j in range(k):
        gone = {name for name in set(eco.values()) if _eco_fold(name, k) == j}
        held = [i for i in universe if items[i].group != "breadth" and eco.get(i) in gone]
        out.append(measure(tr, f"eco{j}", _without_tools(items, universe, held, gone, eco,
                                                          shared), held))  # fmt: skip
    return out


def _tools(
    items: list[Item], universe: list[int], common: int
) -> tuple[dict[int, str], set[str]]:
    """Each everyday line's tool (:func:`ecosystem`), and the tools whose everyday lines
    at least ``common`` corpora hold (none when 0)."""
    eco = {i: ecosystem(items[i].command) for i in universe if not items[i].label}
    corpora: dict[str, set[str]] = {}
    for i, name in eco.items():
        if items[i].group != "breadth":
            corpora.setdefault(name, set()).add(items[i].group)
    return eco, {n for n, got in corpora.items() if common and len(got) >= common}


def _without_tools(
    items: list[Item],
    train: list[int],
    held: list[int],
    gone: set[str],
    eco: dict[int, str],
    shared: set[str],
) -> list[int]:
    """``train`` without the lines equal to one of ``held`` and every everyday line of
    the tools ``gone`` but the hand-written and breadth lines of the ``shared`` ones."""
    keys = {items[i].key for i in held}
    return [i for i in train
            if items[i].key not in keys and (eco.get(i, "\0") not in gone or (
                items[i].group == "breadth" and eco[i] in shared))]  # fmt: skip


def set_folds(
    tr: Trainer, names: list[str], before: int | None = None, common: int = 0
) -> list[Fold]:
    """Leave-a-set-and-its-tools-out: held-out set ``S``'s everyday lines measured by a
    model trained without set ``S`` (its attacks too, and the everyday lines written
    from it) and without every everyday line of the tools its everyday lines run (but
    the hand-written and breadth lines of the tools ``common`` corpora share, as
    :func:`ecosystem_folds`). A fresh set is not a random cut of tools: its everyday
    lines share an author's domain and style (set 11: administration under ``sudo``;
    set 12: self-hosted apps' admin CLIs) that the rest of a set keeps in training when
    only its tools leave. On what model 5 knew (sets 1-9, its settings, at its
    threshold) the ecosystem folds said +0.76 % at worst (mean 0.31 %), these folds (sets
    5-9) +1.31 % (mean 0.60 %); fresh, model 5 added +0.72 % (set 10), +3.78 % (set 11),
    +1.7 % (set 12)."""
    items = tr.items
    universe = forward_train(items, before) if before else list(range(len(items)))
    eco, shared = _tools(items, universe, common)
    out = []
    for name in names:
        held = [i for i in universe if items[i].group == name and not items[i].label]
        if not held:
            continue
        rest = [i for i in universe if items[i].group != name and items[i].source != name]
        gone = {eco[i] for i in held}
        out.append(measure(tr, f"set{name}", _without_tools(items, rest, held, gone, eco,
                                                             shared), held))  # fmt: skip
    return out


def rates(items: list[Item], idx: list[int], fired: list[bool]) -> dict[str, float]:
    att = [(i, f) for i, f in zip(idx, fired, strict=True) if items[i].label]
    ben = [(i, f) for i, f in zip(idx, fired, strict=True) if not items[i].label]

    def share(pairs: list[tuple[int, bool]], pick: Any) -> float:
        return sum(1 for i, f in pairs if pick(i, f)) / len(pairs) if pairs else 0.0

    return {
        "attacks": len(att),
        "benign": len(ben),
        "rules_detect": share(att, lambda i, f: items[i].rules),
        "rules_fp": share(ben, lambda i, f: items[i].rules),
        "scorer_detect": share(att, lambda i, f: f),
        "scorer_fp": share(ben, lambda i, f: f),
        "both_detect": share(att, lambda i, f: f or items[i].rules),
        "both_fp": share(ben, lambda i, f: f or items[i].rules),
        "added_detect": share(att, lambda i, f: f and not items[i].rules),
        "added_fp": share(ben, lambda i, f: f and not items[i].rules),
    }


def benign_top(model: CommandScorer, items: list[Item], train: list[int]) -> float:
    """The :data:`TOP_N`-th highest score, in sample, of a training corpus's everyday
    line the rules do not raise: the threshold rule's base (a margin above it)."""
    scores = sorted(
        (item_score(model, items[i]) for i in train
         if items[i].group != "breadth" and not items[i].label and not items[i].rules),
        reverse=True,
    )  # fmt: skip
    return scores[min(TOP_N, len(scores)) - 1] if scores else 0.0


@dataclass
class Fold:
    """One held-out set measured by a model trained without it."""

    name: str
    held: list[int]
    model: CommandScorer
    top: float  # benign_top of the model on its own training
    scores: list[float]  # the held lines' scores

    def row(self, items: list[Item], margin: float) -> dict[str, Any]:
        thr = round(self.top + margin, 4)
        fired = [s >= thr for s in self.scores]
        row: dict[str, Any] = {"set": self.name, "threshold": thr, **rates(items, self.held, fired)}
        # what the scorer adds and misses, for reading by class (not stored in the model)
        row["lines"] = {
            "added_fp": [items[i].command for i, f in zip(self.held, fired, strict=True)
                         if f and not items[i].label and not items[i].rules],
            "missed": [items[i].command for i, f in zip(self.held, fired, strict=True)
                       if not f and items[i].label and not items[i].rules],
        }  # fmt: skip
        return row


def measure(tr: Trainer, name: str, train: list[int], held: list[int] | None = None) -> Fold:
    items = tr.items
    if held is None:
        held = [i for i, it in enumerate(items) if it.group == name]
    model = tr.fit(train)
    scores = [item_score(model, items[i]) for i in held]
    print(f"  set {name} measured", file=sys.stderr)
    return Fold(name, held, model, benign_top(model, items, train), scores)


def forward(tr: Trainer, names: list[str]) -> list[Fold]:
    """Forward chaining: set ``k`` measured by a model trained on the sets before it
    (:func:`forward_train`), as it was when fresh."""
    items = tr.items
    return [measure(tr, n, forward_train(items, int(n))) for n in names
            if any(it.group == n for it in items)]  # fmt: skip


def loso(tr: Trainer, names: list[str]) -> list[Fold]:
    """Leave-one-set-out: set ``N`` measured by a model trained on every other set (its
    later neighbours, written knowing it, included: an optimistic estimate)."""
    items = tr.items
    out = []
    for name in names:
        held = [i for i, it in enumerate(items) if it.group == name]
        if held:
            train = _disjoint(items, [i for i, it in enumerate(items) if it.group != name], held)
            out.append(measure(tr, name, train))
    return out


def choose_margin(
    items: list[Item], families: list[list[Fold]], fold_fp: float, mean_fp: float
) -> float:
    """The smallest margin (:data:`MARGINS`) above each fold model's training
    benign score at which the scorer adds at most ``fold_fp`` false positives on every
    fold and ``mean_fp`` on the mean of each family of folds (the largest margin if
    none does)."""
    for margin in MARGINS:
        ok = True
        for folds in families:
            added = [f.row(items, margin)["added_fp"] for f in folds]
            if added and (max(added) > fold_fp or sum(added) / len(added) > mean_fp):
                ok = False
                break
        if ok:
            return margin
    return MARGINS[-1]


# -------------------------------------------------------------------------------- breadth

_ROFF = [
    (r"\\f[BIRP]|\\f\(..|\\f\[[^\]]*\]", ""), (r"\\-", "-"), (r"\\&", ""), (r"\\\|", ""),
    (r"\\\(aq|\\\[aq\]", "'"), (r"\\\(dq|\\\[dq\]", '"'), (r"\\\(ga|\\\[ga\]", "`"),
    (r"\\\(ti|\\\[ti\]|\\~", "~"), (r"\\\(ha|\\\[ha\]", "^"), (r"\\ ", " "), (r"\\e", "\\"),
    (r"\\\(em|\\\(en|\\\[em\]|\\\[en\]", "-"), (r"\\\*\(.\S|\\\*\[[^\]]*\]", ""),
]  # fmt: skip
_MACRO = re.compile(r"^\.(?:B|I|BI|BR|IB|IR|RB|RI|SM|SB)\s+")


def _unroff(line: str) -> str:
    line = _MACRO.sub("", line)
    for pat, rep in _ROFF:
        line = re.sub(pat, lambda _m, r=rep: r, line)
    if line.startswith('"') and line.endswith('"') and line.count('"') == 2:
        line = line[1:-1]
    return line.strip()


_PROSE = frozenset(
    ["a", "an", "and", "are", "be", "can", "command", "does", "for", "has", "is", "it", "may",
     "must", "of", "or", "program", "should", "that", "the", "this", "to", "was", "when",
     "which", "will", "with", "would", "you"]
)  # fmt: skip


def _man_examples(limit_per_page: int = 8) -> list[tuple[str, str]]:
    """Command lines from man pages: lines starting with the page's program in its
    EXAMPLES section or in a display block (``.nf``/``.EX``) anywhere."""
    import gzip

    out: list[tuple[str, str]] = []
    for sec in ("man1", "man8"):
        for page in sorted(Path("/usr/share/man", sec).glob("*.gz")):
            name = page.name.split(".")[0]
            try:
                text = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
            except (OSError, EOFError):
                continue
            examples = display = False
            got = 0
            for raw in text.splitlines():
                if raw.startswith(".SH"):
                    examples = "EXAMPLE" in raw.upper()
                    continue
                if raw.startswith((".nf", ".EX")):
                    display = True
                    continue
                if raw.startswith((".fi", ".EE")):
                    display = False
                    continue
                if not (examples or display) or not raw or raw.startswith(('.\\"', "'\\\"")):
                    continue
                if raw.startswith(".") and not _MACRO.match(raw):
                    continue
                line = _unroff(raw)
                if line.startswith(("$ ", "% ", "# ")):
                    line = line[2:].strip()
                words = line.split()
                if len(words) < 2 or words[0] not in (name, "sudo") or len(line) > 300:
                    continue
                if words[1] in _PROSE or line.endswith((".", ":", ",", "\\")):
                    continue  # a sentence, or continued on the next line
                out.append((line, f"man/{sec}/{page.name}"))
                got += 1
                if got >= limit_per_page:
                    break
    return out


def _doc_commands() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in files:
        inside = False
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip().startswith("```"):
                lang = raw.strip()[3:].strip().lower()
                inside = not inside and lang in ("bash", "sh", "shell", "console")
                continue
            line = raw.strip()
            if inside and line and not line.startswith("#"):
                out.append((line.removeprefix("$ "), str(path.relative_to(ROOT))))
    return out


_DEV_TOOLS = frozenset(
    ["pip", "pip3", "python", "python3", "npm", "npx", "yarn", "pnpm", "node", "docker",
     "git", "uv", "uvx", "conda", "mamba", "poetry", "pipx", "cargo", "rustup", "go", "make",
     "tox", "nox", "pytest", "kubectl", "helm", "brew", "apt-get", "apt", "sudo", "export",
     "cd", "source", ".", "curl", "wget", "tar", "ls", "mkdir", "cp", "mv", "echo", "cat",
     "hatch", "pdm", "maturin", "gh", "terraform", "aws", "gcloud", "az", "java", "mvn",
     "gradle", "ruby", "gem", "bundle", "php", "composer", "deno", "bun", "cmake", "gcc"]
)  # fmt: skip
_ASSIGN = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")


def _looks_like_command(line: str) -> bool:
    import shutil

    rest = _ASSIGN.sub("", line)
    first = rest.split(" ", 1)[0] if rest else ""
    if not re.fullmatch(r"[A-Za-z_.][\w.+/-]*", first) or len(line) > 300:
        return False
    return first in _DEV_TOOLS or shutil.which(first) is not None


def _fenced(text: str, source: str, limit: int = 15) -> list[tuple[str, str]]:
    """Command lines of a README's shell blocks (and ``$ `` lines)."""
    out: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        st = raw.strip()
        if st.startswith("```"):
            lang = st[3:].strip().lower()
            inside = not inside and lang in ("bash", "sh", "shell", "console", "zsh")
            continue
        if st.startswith("$ "):
            st = st[2:].strip()
        elif not inside:
            continue
        if st and not st.startswith("#") and _looks_like_command(st):
            out.append((st, source))
            if len(out) >= limit:
                break
    return out


def _package_docs() -> list[tuple[str, str]]:
    """Command lines from the READMEs of the installed Python and npm packages."""
    import importlib.metadata

    out: list[tuple[str, str]] = []
    names = set()
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"] or "?"
        if name.lower() in names:
            continue
        names.add(name.lower())
        try:
            text = dist.read_text("METADATA") or ""
        except (OSError, UnicodeDecodeError):
            continue
        out.extend(_fenced(text, f"pypi/{name}"))
    for readme in sorted(Path("/usr/lib/node_modules").glob("**/README.md"))[:3000]:
        try:
            text = readme.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out.extend(_fenced(text, f"npm/{readme.parent.name}", 6))
    return out


def refresh_breadth() -> int:
    """Rebuild the breadth file from this machine's man pages and corral's docs."""
    from corral.monitor.engine import Monitor
    from corral.monitor.evaluate import command_events

    seen: set[str] = set()
    kept = []
    for line, source in _doc_commands() + _man_examples() + _package_docs():
        key = " ".join(line.split())
        if key in seen:
            continue
        seen.add(key)
        monitor = Monitor(packs=["default"], baseline=False, scorer=False)
        if any(monitor.observe(ev) for ev in command_events(line, "breadth")):
            continue  # the rules alert: an attack being documented
        kept.append({"command": line, "source": source})
    BREADTH.parent.mkdir(parents=True, exist_ok=True)
    with open(BREADTH, "w", encoding="utf-8") as f:
        for obj in kept:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return len(kept)


# ----------------------------------------------------------------------------------- main


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for col in ("set", "attacks", "benign", "threshold", "rules", "scorer", "rules OR scorer",
                "rules FP", "scorer FP", "FP scorer adds", "rules OR scorer FP"):  # fmt: skip
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            r["set"], str(r["attacks"]), str(r["benign"]), f"{r['threshold']:.2f}",
            f"{r['rules_detect']:.1%}", f"{r['scorer_detect']:.1%}", f"{r['both_detect']:.1%}",
            f"{r['rules_fp']:.2%}", f"{r['scorer_fp']:.2%}", f"{r['added_fp']:.2%}",
            f"{r['both_fp']:.2%}",
        )  # fmt: skip
    Console(soft_wrap=True).print(table)


def _sets(option: str, got: list[str], known: list[str]) -> str | None:
    unknown = sorted(set(got) - set(known))
    if unknown:
        return f"error: {option} {' '.join(unknown)}: not a held-out set ({' '.join(known)})"
    return None


def ship_check(tables: dict[str, list[dict[str, Any]]], probes_fired: list[str]) -> list[str]:
    """What keeps a model from the shipped path (empty: it may ship): under the
    leave-ecosystems-out folds and under the set-and-tools-out folds the scorer adds at
    most :data:`SHIP_ECO_FP` false positives on each and :data:`SHIP_ECO_MEAN` on the
    mean of each kind; on forward fold :data:`FRESH` - 1 (trained on what was known
    before that set) rules OR scorer alerts at least
    :data:`SHIP_FWD_DETECT` of the attacks, the scorer adds at least
    :data:`SHIP_FWD_GAIN` of them to the rules' and at most :data:`SHIP_FWD_FP` false
    positives; it fires on none of corral's own probe and shell steps."""
    why = []
    for kind, title in (("ecosystem", "leave-ecosystems-out"), ("sets", "set-and-tools-out")):
        rows = tables.get(kind, [])
        if not rows:
            why.append(f"no {title} folds measured")
        for r in rows:
            if r["added_fp"] > SHIP_ECO_FP:
                why.append(f"{r['set']}: the scorer adds {r['added_fp']:.2%} > {SHIP_ECO_FP:.2%}")
        if rows and sum(r["added_fp"] for r in rows) / len(rows) > SHIP_ECO_MEAN:
            mean = sum(r["added_fp"] for r in rows) / len(rows)
            why.append(f"{title} folds: mean added {mean:.2%} > {SHIP_ECO_MEAN:.2%}")
    fwd = {r["set"]: r for r in tables.get("forward", [])}
    last = fwd.get(str(FRESH - 1))
    if last is None:
        why.append(f"forward fold {FRESH - 1} not measured")
    else:
        if last["both_detect"] < SHIP_FWD_DETECT:
            why.append(f"forward {last['set']}: rules OR scorer {last['both_detect']:.1%} "
                       f"< {SHIP_FWD_DETECT:.0%}")  # fmt: skip
        if last["added_fp"] > SHIP_FWD_FP:
            why.append(f"forward {last['set']}: the scorer adds {last['added_fp']:.2%} "
                       f"> {SHIP_FWD_FP:.1%}")  # fmt: skip
        gain = last["both_detect"] - last["rules_detect"]
        if gain < SHIP_FWD_GAIN:
            why.append(f"forward {last['set']}: the scorer adds {gain:.1%} of detection "
                       f"< {SHIP_FWD_GAIN:.0%}")  # fmt: skip
    why += [f"fires on corral's own step {p!r}" for p in probes_fired]
    return why


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=MODEL_PATH,
                    help="model file (the shipped one only if the ship check holds)")  # fmt: skip
    ap.add_argument("--fold-fp", type=float, default=FOLD_FP,
                    help="false positives the scorer may add on each ecosystem fold")  # fmt: skip
    ap.add_argument("--mean-fp", type=float, default=MEAN_FP,
                    help="... and on their mean")  # fmt: skip
    ap.add_argument("--eco-folds", type=int, default=ECO_FOLDS, metavar="K",
                    help=f"leave-ecosystems-out folds (default {ECO_FOLDS}; 0: none)")  # fmt: skip
    ap.add_argument("--eco-before", type=int, metavar="SET",
                    help="the ecosystem and set folds on what was known before SET only")
    ap.add_argument(
        "--set-folds", nargs="*", default=SET_FOLDS, metavar="SET",
        help=f"sets a set-and-tools-out fold holds out (default: {' '.join(SET_FOLDS)}); "
        "with --eco-before, those before it",
    )  # fmt: skip
    ap.add_argument("--eco-common", type=int, default=ECO_COMMON, metavar="N",
                    help=f"shared tools keep written lines ({ECO_COMMON})")  # fmt: skip
    ap.add_argument("--min-sets", type=int, default=MIN_SETS,
                    help=f"corpora whose attacks a positive feature must occur in "
                    f"(default {MIN_SETS})")  # fmt: skip
    ap.add_argument("--ngram-scale", type=float, default=NGRAM_SCALE,
                    help=f"an n-gram's value in training (default {NGRAM_SCALE})")  # fmt: skip
    ap.add_argument("--no-neutral", action="store_true",
                    help="let NEUTRAL_WORDS weigh for an attack")  # fmt: skip
    ap.add_argument("--common-df", type=float, default=COMMON_DF, metavar="F",
                    help=f"features this share of the everyday lines hold weigh at most "
                    f"--common-cap for an attack (default {COMMON_DF}: none)")  # fmt: skip
    ap.add_argument("--common-cap", type=float, default=COMMON_CAP,
                    help=f"(default {COMMON_CAP})")  # fmt: skip
    ap.add_argument("--ngrams", nargs="*", type=int, default=list(NGRAMS), metavar="K",
                    help=f"n-gram lengths weighed (default {' '.join(map(str, NGRAMS))}; "
                    "none: a token training never saw weighs nothing)")  # fmt: skip
    ap.add_argument("--benign", type=float, default=BENIGN,
                    help=f"the benign class's weight against the attacks' (default {BENIGN})")
    ap.add_argument("--ngrams-lower-only", action="store_true",
                    help="n-grams may only lower a score (an unknown word raises none)")
    ap.add_argument("--sample", type=int, help="use only N lines per file (a quick check)")
    ap.add_argument("--refresh-breadth", action="store_true", help="rebuild the breadth file")
    ap.add_argument("--replay-cache", type=Path, help="JSON file caching replayed events")
    ap.add_argument(
        "--forward", nargs="*", default=FORWARD, metavar="SET",
        help=f"forward folds (default: {' '.join(FORWARD)}): set k measured by a model "
        f"trained on what was known before it; fold {FRESH - 1} is part of the ship check",
    )  # fmt: skip
    ap.add_argument(
        "--left-out", nargs="*", default=[], metavar="SET",
        help="sets a leave-one-set-out table leaves out (default none; it under-estimates)",
    )  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print the tables as JSON")
    ap.add_argument(
        "--scores", type=Path, metavar="FILE",
        help="write each fold's base, scores and labels (JSON) to FILE, to read other margins",
    )  # fmt: skip
    ap.add_argument(
        "--lines", type=Path, metavar="FILE",
        help="write each fold's added false positives and misses (JSON) to FILE",
    )  # fmt: skip
    args = ap.parse_args(argv)
    for option, got in (("--forward", args.forward), ("--left-out", args.left_out),
                        ("--set-folds", args.set_folds)):  # fmt: skip
        error = _sets(option, got, LEFT_OUT)
        if error:
            print(error, file=sys.stderr)
            return 2
    if args.eco_folds < 0 or args.eco_folds == 1 or args.min_sets < 1 or not (
        0 < args.ngram_scale <= 1
    ) or not 0 < args.common_df <= 1 or args.common_cap < 0 or not (
        0 < args.benign <= 100
    ) or not all(
        3 <= k <= 5 for k in args.ngrams
    ):
        print("error: --eco-folds must be 0 or at least 2, --min-sets at least 1, "
              "--ngram-scale and --common-df in (0, 1], --common-cap at least 0, "
              "--benign in (0, 100], --ngrams among 3 4 5", file=sys.stderr)  # fmt: skip
        return 2
    if args.eco_before is not None and str(args.eco_before) not in LEFT_OUT:
        print(f"error: --eco-before {args.eco_before}: not a held-out set", file=sys.stderr)
        return 2
    shipped = args.out.resolve() == MODEL_PATH.resolve()
    try:
        import sklearn
    except ImportError:
        print("error: training needs scikit-learn: pip install 'corral[train]'", file=sys.stderr)
        return 2
    if args.refresh_breadth:
        print(f"breadth: {refresh_breadth()} lines written to {BREADTH}", file=sys.stderr)
    items, hashes = load_sets(args.sample)
    breadth = load_breadth(args.sample)
    for path in (BREADTH, EVERYDAY):
        hashes[str(path.relative_to(ROOT))] = _sha256(path)
    print(f"replaying {len(items)} corpus lines", file=sys.stderr)
    replay(items, args.replay_cache)
    all_items = items + breadth
    ngrams = tuple(sorted(set(args.ngrams)))
    tr = Trainer(all_items, args.min_sets, args.ngram_scale, not args.no_neutral,
                 args.common_df, args.common_cap, ngrams, args.benign,
                 not args.ngrams_lower_only)  # fmt: skip
    eco = (ecosystem_folds(tr, args.eco_folds, args.eco_before, args.eco_common)
           if args.eco_folds else [])  # fmt: skip
    held_sets = [n for n in sorted(set(args.set_folds), key=int)
                 if args.eco_before is None or int(n) < args.eco_before]  # fmt: skip
    sets = set_folds(tr, held_sets, args.eco_before, args.eco_common)
    fwd = forward(tr, sorted(set(args.forward), key=int))
    families = [f for f in (eco, sets) if f] or [fwd[:-1] if len(fwd) > 1 else fwd]
    choosing = [f for family in families for f in family]
    margin = choose_margin(all_items, families, args.fold_fp, args.mean_fp)
    tables = {
        "ecosystem": [f.row(all_items, margin) for f in eco],
        "sets": [f.row(all_items, margin) for f in sets],
        "forward": [f.row(all_items, margin) for f in fwd],
        "loso": [f.row(all_items, margin) for f in loso(tr, sorted(set(args.left_out), key=int))],
    }
    lines = {kind: {r["set"]: r.pop("lines") for r in rows} for kind, rows in tables.items()}
    if args.lines is not None:
        args.lines.write_text(json.dumps(lines, indent=1, ensure_ascii=False))
    if args.scores is not None:
        args.scores.write_text(json.dumps({
            f.name: {"top": f.top, "scores": f.scores,
                     "label": [all_items[i].label for i in f.held],
                     "rules": [all_items[i].rules for i in f.held]}
            for f in eco + sets + fwd
        }))  # fmt: skip
    everything = list(range(len(all_items)))
    top = benign_top(tr.fit(everything), all_items, everything)
    model = tr.fit(everything, round(top + margin, 4))  # the same fit (kept), a fresh scorer
    model.version = VERSION
    fired = [step for step in _STEPS if model.score(step).fired]
    why = ship_check(tables, fired)
    if args.sample:
        why.append("trained on a sample")
    model.meta = {
        "trained": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sklearn": sklearn.__version__,
        "training": {
            "files": hashes,
            "lines": {
                g: sum(1 for it in all_items if it.group == g)
                for g in dict.fromkeys(it.group for it in all_items)
            },
            "model": f"logistic regression, C={C}, L2, binary features, held-out set N's "
            f"lines weighing 1 + {LATE} N, classes balanced (benign x {args.benign}); positive "
            f"weights only on features with a first-fit weight >= {STRONG} that the attacks "
            f"of at least {args.min_sets} training corpora hold; n-grams valued "
            f"{args.ngram_scale} in training"
            + ("; n-grams weigh only against an attack" if args.ngrams_lower_only else ""),
            "ngrams": list(ngrams),
            "common": f"features >= {args.common_df:.2%} of the training everyday lines hold "
            f"weigh <= {args.common_cap} for an attack" if args.common_df < 1 else "no cap",
            "threshold": f"the {TOP_N}th highest in-sample score of a training corpus's everyday "
            f"line the rules do not raise ({top:.3f}) + {margin:.2f}, the smallest margin keeping "
            f"the scorer's added false positives <= {args.fold_fp:.2%} on each of the "
            f"{'leave-ecosystems-out and set-and-tools-out' if eco or sets else 'forward'} "
            f"folds {', '.join(f.name for f in choosing)} and <= {args.mean_fp:.2%} on the "
            f"mean of each kind",
            "margin": margin,
            "ship_check": why or "holds",
        },
        **tables,
    }
    if args.json:
        print(json.dumps(tables, indent=2))
    else:
        for kind, title in (("ecosystem", "leave-ecosystems-out"),
                            ("sets", "set-and-tools-out"),
                            ("forward", "forward folds (trained on the sets before)"),
                            ("loso", "leave-one-set-out")):  # fmt: skip
            if tables[kind]:
                print_table(f"{title}; threshold: training benign {TOP_N}th highest + {margin:.2f}",
                            tables[kind])
    if why:
        print("ship check fails:\n  " + "\n  ".join(why), file=sys.stderr)
        if shipped:
            print(f"error: not writing the shipped model {args.out}; give --out FILE",
                  file=sys.stderr)  # fmt: skip
            return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"model: {len(model.weights)} weights, threshold {model.threshold:.3f} -> {args.out}",
          file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
