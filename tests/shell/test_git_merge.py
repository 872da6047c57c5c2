"""``git merge`` of diverged branches, ``git cherry-pick`` and ``git rebase`` in the
WebAssembly tier against the real git: the line merge (``git/xmerge.py``) byte for byte
against ``git merge-file`` on random three-way inputs, and whole sessions (conflicts,
markers, renames on one side or both, ``git status`` while merging, ``--abort``,
``git commit`` concluding the merge, ``--no-ff``, ``--no-commit``, ``--ff-only``,
``--squash``, picks and rebases stopped and continued) against ``/usr/bin/git`` on the
same script: stdout and status the same, commit ids included."""

from __future__ import annotations

import random
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral import Budget, Sandbox
from corral.shell.git.xmerge import merge_lines

from .git_compare import GIT, NEEDS_GIT, corral_git, fresh, real_git

pytestmark = NEEDS_GIT


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(budget=Budget(wall_s=60)) as s:
        yield s


def test_line_merge_is_git_merge_file() -> None:
    """Every line holds a letter, so merge-file's level (zealous-alnum) is git merge's."""
    rng = random.Random(20261205)
    alpha = ["a", "b", "c", "d", "e", "f1", "g", "h"]

    def mutate(x: list[str]) -> list[str]:
        x = list(x)
        for _ in range(rng.randint(0, 4)):
            k, r = rng.randint(0, len(x)), rng.random()
            if r < 0.4 and k < len(x):
                x[k] = rng.choice([*alpha, "X", "Y"])
            elif r < 0.7:
                x.insert(k, rng.choice([*alpha, "Z"]))
            elif k < len(x):
                del x[k]
        return x

    def text(x: list[str]) -> bytes:
        s = "".join(ln + "\n" for ln in x)
        return (s[:-1] if x and rng.random() < 0.1 else s).encode()

    wrong = []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(300):
            base = [rng.choice(alpha) for _ in range(rng.randint(0, 12))]
            b, o, t = text(base), text(mutate(base)), text(mutate(base))
            for name, data in (("base", b), ("ours", o), ("theirs", t)):
                (Path(d) / name).write_bytes(data)
            r = subprocess.run([GIT or "git", "merge-file", "-p", "-L", "HEAD", "-L", "base",
                                "-L", "side", "ours", "base", "theirs"],
                               cwd=d, capture_output=True)  # fmt: skip
            got, conflicts = merge_lines(b, o, t, "HEAD", "side")
            if (got, conflicts) != (r.stdout, r.returncode):
                wrong.append((b, o, t))
    assert not wrong, f"{len(wrong)} differ; the first: {wrong[0]}"


CASES = {
    "squash": """git init -q -b main sq && cd sq
seq 1 10 > f && git add . && git commit -qm base
git checkout -qb side && sed -i 's/^2$/two/' f && git commit -qam "side one"
echo n > n && git add n && git commit -qm "side two"
git checkout -q main && sed -i 's/^9$/nine/' f && git commit -qam main1
git merge --squash side; echo rc=$?
ls .git | grep -E 'SQUASH|MERGE'; cat .git/SQUASH_MSG
git status; git status -s
git commit --no-edit; echo rc=$?
git log --format='%s|%P' | cat
ls .git | grep -E 'SQUASH|MERGE'
git checkout -q -b ff main~1
git reset -q --hard HEAD~1
git merge --squash side; echo rc=$?
git status -s; git log --oneline | cat
git commit -q -m squashed; git log --format=%s | cat
git checkout -q -b conflict side~2
sed -i 's/^2$/TWO/' f; git commit -qam two-conflict
git merge --squash side; echo rc=$?
git status; git status -s
ls .git | grep -E 'SQUASH|MERGE'
""",
    "renames": """git init -q -b main rn && cd rn
seq 1 20 > f && echo x > g && seq 30 60 > h && git add . && git commit -qm base
git checkout -qb side && git mv f renamed && git mv h h2 && sed -i "s/^40$/forty/" h2 && git add h2 && git commit -qm ren
git checkout -q main && sed -i 's/^5$/five/' f && sed -i 's/^50$/fifty/' h && git commit -qam mod
git merge side; echo rc=$?
ls; git log --oneline | cat; cat h2 | head -12 | tail -3
git checkout -q side
sed -i 's/^6$/six/' renamed; git commit -qam six
git checkout -q main
git merge side; echo rc=$?
cat renamed | head -12
git status; git status -s
git merge --abort
git checkout -qb other main~1
git mv f moved-here && git commit -qm "ours renamed"
git merge side~1; echo rc=$?
ls; git status -s
""",
    "rebase": """git init -q -b main rb && cd rb
printf '1\\n2\\n3\\n4\\n5\\n' > f && git add . && git commit -qm base
git checkout -qb feature
sed -i 's/^2$/two/' f && git commit -qam "feat two"
echo n > new && git add . && git commit -qm "feat new"
git checkout -q main
sed -i 's/^5$/five/' f && git commit -qam main5
git checkout -q feature
git rebase main; echo rc=$?
git log --format='%s|%P' | cat
git status
git rebase main; echo rc=$?
git checkout -q main
sed -i 's/^2$/TWO/' f; git commit -qam main2
git checkout -q feature
git rebase main; echo rc=$?
git status
git status -s
ls .git | grep -E 'REBASE|MERGE|AUTO|rebase'
git rebase --abort; echo rc=$?
git log --oneline | cat
git status
git rebase main >/dev/null; echo rc=$?
echo fixed > f; git add f
GIT_EDITOR=true git rebase --continue; echo rc=$?
git log --format='%s|%an|%P' | cat
git status
GIT_EDITOR=true git rebase --continue; echo rc=$?
echo dirty >> f
git rebase main; echo rc=$?
git checkout -q f
git checkout -qb picked main~1
git cherry-pick feature~1 >/dev/null
git rebase main; echo rc=$?
git log --oneline | cat
""",
    "cherry-pick": """git init -q -b main c1 && cd c1
printf '1\\n2\\n3\\n4\\n5\\n' > f && git add . && git commit -qm base
git checkout -qb feature
sed -i 's/^2$/two/' f && git commit -qam "feat two"
sed -i 's/^4$/four/' f && echo n > new && git add . && git commit -qm "feat four"
git checkout -q main
sed -i 's/^5$/five/' f && git commit -qam main5
git cherry-pick feature~1; echo rc=$?
git log --format='%s|%an|%cn' | cat
sed -i 's/^4$/FOUR/' f; git commit -qam m4
git cherry-pick feature; echo rc=$?
cat f; ls .git | grep -E 'CHERRY|MERGE'
git status; git status -s
git cherry-pick feature; echo rc=$?
git cherry-pick --abort; echo rc=$?
git status -s; cat f
git cherry-pick --abort; echo rc=$?
git cherry-pick feature; echo rc=$?
printf '1\\ntwo\\n3\\nfour\\nfive\\n' > f; git add f
git status
git cherry-pick --continue; echo rc=$?
git log --format='%s|%P' -3 | cat
git cat-file -p HEAD | tail -n +3
git cherry-pick feature~1; echo rc=$?
git checkout -qb other main~2
git cherry-pick feature; echo rc=$?
git log --oneline | cat
""",
    "modify-delete-and-content": """git init -q -b main r && cd r
printf '1\\n2\\n3\\n4\\n5\\n6\\n7\\n8\\n' > f && echo x > g && echo d > del
git add . && git commit -qm base
git checkout -qb feature
sed -i 's/^2$/two/' f && echo new > h && echo mod > del
git add . && git commit -qm feat
git checkout -q main
sed -i 's/^7$/seven/' f && git rm -q del
git commit -qam main1
git merge feature; echo rc=$?
git status; git status --short
cat f del
git commit -m x; echo rc=$?
git merge --abort; echo rc=$?
git status --short; cat f; ls .git | grep -c MERGE
git merge --abort; echo rc=$?
git rm -q --cached del 2>/dev/null; git checkout -q -- .
git merge feature >/dev/null; echo rc=$?
git add del f; git status; git status -s
git commit --no-edit; echo rc=$?
git log --format='%s|%P' | cat; git cat-file -p HEAD | tail -n +3
git status
git checkout -qb topic HEAD~1
git merge -q feature; echo rc=$?; git log -1 --format=%s
git rm -q --cached del 2>/dev/null; rm -f del; git status -s
""",
    "binary-add-add-no-ff-no-commit": """git init -q -b main r && cd r
printf 'a\\nb\\nc\\nd\\ne\\nf\\ng\\nh\\ni\\nj\\n' > f
printf 'bin\\0ary\\n' > b.bin
echo same > s
git add . && git commit -qm base
git checkout -qb side
sed -i 's/^b$/B-side/; s/^c$/C-side/; s/^i$/I-side/' f
printf 'bin\\0side\\n' > b.bin
echo added-side > both
echo only-side > os
git add . && git commit -qm side1
git checkout -q main
sed -i 's/^b$/B-main/; s/^i$/I-side/; s/^e$/E-main/' f
printf 'bin\\0main\\n' > b.bin
echo added-main > both
git add . && git commit -qm main1
git merge side; echo rc=$?
cat f; cat both
git status
git status -s
git ls-files -s | cut -c1-7,49-
cat .git/MERGE_MSG
git merge --abort
git status -s
git merge --no-commit side >/dev/null; echo rc=$?
git merge --abort
git merge --abort; git checkout -q -b clean HEAD
git rm -q b.bin both
git commit -qm "drop conflicting"
git merge --no-ff -m "custom merge" side; echo rc=$?
git log --format='%s|%P' | cat
git merge side; echo rc=$?
git checkout -q main
git merge --ff-only side; echo rc=$?
""",
    "into-topic-and-fast-forward": """
git init -q -b main r && cd r
printf '1\\n2\\n3\\n4\\n5\\n6\\n7\\n8\\n' > f && echo x > g
git add . && git commit -qm base
git checkout -qb feature
sed -i 's/^2$/two/' f && echo new > h && git add . && git commit -qm feat
git checkout -qb topic main
sed -i 's/^7$/seven/' f && rm g && git commit -qam topic1
git merge feature; echo rc=$?
git log --format='%s|%P' | cat
cat f; ls
git checkout -q main
git merge feature; echo rc=$?
git merge feature; echo rc=$?
git merge topic; echo rc=$?
git log --oneline | cat
""",
    "refusals": """
git init -q -b main r && cd r
printf 'a\\nb\\n' > f && echo x > g && git add . && git commit -qm base
git checkout -qb other && echo B >> f && echo new > n && git commit -qam other && git add n
git commit -qm add-n
git checkout -q main && echo A > g && git commit -qam main1
echo dirty >> f
git merge other; echo rc=$?
git checkout -q f
echo staged > g && git add g
git merge other; echo rc=$?
git reset -q --hard
echo untracked > n
git merge other; echo rc=$?
rm n
git merge --abort; echo rc=$?
git merge --continue; echo rc=$?
git merge --ff-only other; echo rc=$?
git merge other; echo rc=$?
cat f n
""",
    "resolve-and-conclude": """
git init -q -b main r && cd r
printf '1\\n2\\n3\\n' > f && git add . && git commit -qm base
git checkout -qb feature && printf '1\\nB\\n3\\n' > f && echo n > new
git add . && git commit -qm feat
git checkout -q main && printf '1\\nA\\n3\\n' > f && git commit -qam main1
git merge feature >/dev/null; echo rc=$?
echo fixed > f
git status
git add f
git status
git commit --no-edit; echo rc=$?
git log --format='%s%n%b|%P' | cat
git status
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_merge_as_real_git(sb: Sandbox, name: str) -> None:
    fresh(sb)
    script = CASES[name]
    want = real_git(script)
    got = corral_git(sb, script)
    assert got.stdout == want.stdout, (got.stderr, want.stderr)
    assert got.status == want.status


def test_forged_merge_state_is_refused(sb: Sandbox) -> None:
    """A MERGE_HEAD that is not a commit, or MERGE_MSG as a link out of the sandbox:
    a clear error or nothing read through the link, never a traceback."""
    fresh(sb)
    r = sb.run("git init -q -b main && echo a > f && git add f && git commit -qm one\n"
               "echo garbage > .git/MERGE_HEAD\n"
               "git commit -m two; echo rc=$?\n"
               "git merge --abort; echo rc=$?\n"
               "git rev-parse HEAD > .git/MERGE_HEAD && ln -s /etc/passwd .git/MERGE_MSG\n"
               "git commit; echo rc=$?\n"
               "git log -1 --format=%B | cat")  # fmt: skip
    assert "Traceback" not in r.stderr
    assert r.stdout.splitlines()[:2] == ["rc=128", "rc=0"], (r.stdout, r.stderr)
    assert "MERGE_HEAD is not a commit" in r.stderr
    assert "root:" not in r.stdout
