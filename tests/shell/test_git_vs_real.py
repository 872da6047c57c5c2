"""``git`` in the WebAssembly tier (the corral shell's worker, on dulwich) against the
real git: each script runs under /bin/bash with /usr/bin/git in a temporary directory
and through ``Sandbox.run``; stdout and the exit status must be byte for byte the
same (commit ids included: the objects git writes are the same objects)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from corral import Budget, Sandbox

from .git_compare import NEEDS_GIT, corral_git, fresh, real_git

pytestmark = NEEDS_GIT


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(budget=Budget(wall_s=60)) as s:
        yield s


# The "done when": init, add, commit, branch, diff, log.
SESSION = """
git init
echo hello > a.txt
printf 'one\\ntwo\\nthree\\n' > b.txt
git add a.txt b.txt
git commit -m "first commit"
git branch feature
git branch
echo world >> a.txt
sed -i 's/two/TWO/' b.txt
git diff
git commit -am "second"
git log
git log --oneline
git checkout feature
git branch
cat a.txt
git diff feature master
git log --oneline master
git rev-parse HEAD master
"""

STATUS = """
git init -q -b main
mkdir -p src/lib docs
printf 'def f():\\n    return 1\\n\\n\\ndef g():\\n    x = 1\\n    y = 2\\n    z = 3\\n    return x\\n' \\
  > src/lib/m.py
echo doc > docs/README
echo top > top.txt
git status
git status -s
git add .
git status
git commit -q -m "initial"
git status
echo new > docs/extra
sed -i 's/y = 2/y = 20/' src/lib/m.py
rm top.txt
mkdir -p untracked/deeper && echo u > untracked/deeper/file
git status
git status -s
git status -sb
git diff
git diff --stat
git diff --name-only
git diff --name-status
git add -A
git diff --cached
git status
git commit -m "change things" -m "with a body paragraph"
git log
git log -1 --format='%h %an <%ae> %s'
git show --stat
git show HEAD~1 --stat
git show
git rev-parse --short HEAD
git rev-parse --abbrev-ref HEAD
git rev-parse HEAD~1
git diff HEAD~1 HEAD --stat
git log --oneline -- docs
cd src && git status -s && echo x > new.py && git status -s && git status && cd ..
git branch -v
git switch -c topic
git branch
git switch main
git branch -d topic
"""

STASH_RESET = """
git init -q
echo a > a; echo b > b
git add a b; git commit -q -m one
echo a2 >> a; echo b2 >> b; git add b
git stash
git status -s
git stash list
git stash pop
git status -s
git stash
git stash show
git stash apply
git stash drop
git stash list
git reset --hard
git status
echo c > c; git add c
git reset
git status -s
git add c; git commit -q -m two
git reset --soft HEAD~1
git status -s
git reset HEAD~0 c
git status -s
git add c; git commit -qm three
echo zz > a
git checkout -- a
git status -s
git reset --hard HEAD~1
git log --oneline
mkdir -p d/e; echo x > d/e/f; echo '*.log' > .gitignore; echo q > x.log
git status -s
git status --porcelain
git checkout -b side
echo side > a; git commit -qam side
git checkout master
echo mine > a
git checkout side; echo "rc=$?"
git diff
git restore a
git status -s
"""

ERRORS = """
git log; echo "rc=$?"
git status; echo "rc=$?"
git init -q
git log; echo "rc=$?"
git foo; echo "rc=$?"
git log --bogus; echo "rc=$?"
echo x > f; git add f; git commit -qm f
git rev-parse nosuch; echo "rc=$?"
git commit -m again; echo "rc=$?"
git branch f2 nosuch; echo "rc=$?"
git checkout nosuch; echo "rc=$?"
git add missing; echo "rc=$?"
git branch -d master; echo "rc=$?"
"""

RENAMES = """
git init -q
mkdir -p src/a; echo one > src/a/x.py; echo two > top.txt; echo three > other
git add .; git commit -q -m one
git mv top.txt renamed.txt
git mv src/a/x.py src/a/y.py
git status
git status -s
git diff --cached
git diff --cached --stat
git diff --cached --name-status
git commit -m "renames"
git show --stat
mkdir dir2; git mv other dir2/
git mv src lib
git status -s
git commit -qm moved
git log --stat -1
git mv nosuch x; echo rc=$?
echo u > untracked; git mv untracked y; echo rc=$?
"""

LOG_FORMS = """
git init -q
for i in 1 2 3; do echo $i > f$i; git add f$i; git commit -q -m "c$i"; done
git log --graph
git log --graph --oneline
git log --graph --stat -2
git log --stat
git log -p -2
git log --name-only --oneline
git log --name-status
git log --format=%s
"""

QUOTING = """
git init -q
seq 1 30 > s; echo x > 'a b'; echo y > 'ü.txt'; mkdir sub; echo z > sub/z
git add .
git status -s
git status
git commit -qm one
sed -i '1i zero' s; sed -i '$d' s; sed -i 's/^15$/fifteen/' s
git diff
git log -p -1 --oneline
cd sub; echo n > n; git status; git status -s; cd ..
git commit --amend -qm "one amended"
git log --oneline
git rm -q 'a b'
git status -s
git log --oneline --all
"""

AGENT_FLOW = """
git init -q -b main
mkdir -p pkg/sub tests
printf 'import os\\n\\nclass A:\\n    def m(self):\\n        return 1\\n\\n    def n(self):\\n        x = 1\\n        y = 2\\n        return x + y\\n' > pkg/a.py
echo '# t' > tests/test_a.py
echo 'README' > README.md
git add -A && git commit -q -m "Initial commit"
git checkout -q -b feature
sed -i 's/y = 2/y = 3/' pkg/a.py
echo 'def test(): pass' >> tests/test_a.py
git diff HEAD
git diff -- pkg
git diff --stat main
git add -u
git status
git restore --staged tests/test_a.py
git status --short
git reset -q HEAD pkg/a.py
git status -s
git commit -qam "Fix y"
git log --pretty=oneline
git log --format="%h %s" -n 5
git diff main..feature
git diff main feature --stat
git show HEAD --name-only
git show HEAD~1:README.md
git rev-parse --show-toplevel
git commit --allow-empty -q -m "empty"
git log --oneline -3
git branch -a
git log --oneline main..feature
"""

TAGS = """
git init -q
echo a > a; git add a; git commit -qm one
git tag v1
git tag -a v2 -m "release two"
git tag
git tag -l 'v1*'
git rev-parse v1 v2
git show v2 --stat
git log --oneline v1
git tag -d v1
git tag
git describe 2>/dev/null; echo rc=$?
echo b > b; git add b; git commit -qm two
git describe
git describe --tags
git tag light
git describe --tags
git describe --always --abbrev=10
git tag -d v2 light
git describe; echo rc=$?
git describe --always
"""

APPLY = """
git init -q
seq 1 10 > n; echo old > gone; mkdir d; echo q > d/q; echo 'p.diff' > .gitignore
git add .; git commit -qm one
sed -i 's/5/five/' n; rm gone; echo new > d/new; git add -A
git diff --cached > p.diff
git reset -q --hard
git status -s
git apply --check p.diff; echo rc=$?
git apply p.diff; echo rc=$?
git status -s
cat n d/new
git apply -R p.diff; echo rc=$?
git status -s
git apply p.diff; git apply p.diff; echo rc=$?
git status -s
"""

IGNORE = """
git init -q
mkdir -p node_modules/x build keep
echo 1 > node_modules/x/a; echo 2 > build/b; echo 3 > keep/k; echo '.env' > .env
printf 'node_modules/\nbuild\n*.log\n!important.log\n.env\n' > .gitignore
echo l > a.log; echo i > important.log
git status -s
git add .
git status -s
git add build/b; echo rc=$?; git add -f build/b; git status -s
echo 4 > build/c
git status -s
git status --ignored 2>/dev/null | head -0
"""

FAST_FORWARD = """
git init -q -b main
echo a > a; git add a; git commit -qm one
git checkout -qb dev
echo b > b; echo a2 >> a; git add .; git commit -qm two
git mv b c; git commit -qm three
git checkout -q main
git merge dev
git log --oneline
ls
git merge dev
git checkout -q -b other main~2
echo o > o; git add o; git commit -qm other
git merge --ff-only main; echo rc=$?
git log --oneline
"""

MESSAGES_DETACHED = """
git init -q
echo a > a; git add a
git commit -q -m "

  subject with spaces \t
# not a comment here
body


more"
git log -1
printf "from file\\n\\nbody\\n" > .git/msg.txt
echo b > b; git add b
git commit -q -F .git/msg.txt
git log --format='[%s] [%b]' -1
git checkout -q HEAD~1
git status
git branch
git log --oneline
echo c > c; git add c; git commit -q -m detached
git status -sb
git log --oneline -1
git checkout -q master
git status
"""

SIMILAR_RENAMES = """
git init -q
seq 1 40 > big.txt; printf 'line1\nline2\nline3\nline4\n' > small; echo other > other
git add .; git commit -qm one
git mv big.txt moved.txt
sed -i 's/^20$/twenty/' moved.txt
mv small renamed; echo line5 >> renamed
git add -A
git status
git status -s
git diff --cached
git diff --cached --stat
git diff --cached --name-status
git commit -m "renames with edits"
git show --stat
git log --stat --oneline -1
rm other; seq 100 200 > new
git add -A; git status -s
"""

NO_INDEX = """
printf '1\\n2\\n3\\n' > x; printf '1\\nTWO\\n3\\n' > y; cp x z
git diff --no-index x y; echo rc=$?
git diff --no-index x z; echo rc=$?
git diff --no-index --stat x y; echo rc=$?
"""

# ls-files, ls-tree, cat-file and grep (grep through the shell's own grep)
READING = """
git init -q -b main
mkdir -p src/sub docs
echo a > a.txt; echo b > src/b.py; echo c > src/sub/c.py; echo d > docs/d.md
printf '*.log\\nbuild/\\n' > .gitignore
git add .; git commit -qm i
git tag -a v1 -m "tag msg"
echo x >> a.txt; rm docs/d.md; echo l > x.log; mkdir build; echo o > build/o; echo u > src/u.py
mkdir newdir; echo n > newdir/n
printf 'hello world\\nfoo bar\\nHello again\\n' > src/h.txt; git add src/h.txt
printf 'bin\\0ary hello\\n' > bin.dat; git add bin.dat
echo == ls-files; git ls-files; git ls-files -m; git ls-files -d; git ls-files -o
git ls-files -o --exclude-standard; git ls-files -o --directory --exclude-standard
git ls-files -o -i --exclude-standard; git ls-files -c -m -d -t; git ls-files -s
git ls-files '*.py'; git ls-files src/; git ls-files --error-unmatch nope; echo rc=$?
git ls-files -z | tr '\\0' '|'; echo
(cd src && git ls-files && git ls-files --full-name && git ls-files .. && git ls-files -o && git ls-files '*.py')
echo == ls-tree
git ls-tree HEAD; git ls-tree -r HEAD; git ls-tree -r -t HEAD; git ls-tree -d HEAD; git ls-tree -l HEAD
git ls-tree --name-only -r HEAD; git ls-tree HEAD src; git ls-tree HEAD src/; git ls-tree -r HEAD src/sub
git ls-tree HEAD:src; git ls-tree nope; echo rc=$?; git ls-tree v1 docs
(cd src && git ls-tree HEAD && git ls-tree -r HEAD && git ls-tree --full-tree HEAD && git ls-tree --full-name -r HEAD)
echo == cat-file
git cat-file -t HEAD; git cat-file -s HEAD; git cat-file -p HEAD; git cat-file -p 'HEAD^{tree}'; git cat-file -p HEAD:src
git cat-file -p v1 | head -3; git cat-file -t v1; git cat-file blob HEAD:a.txt; git cat-file commit v1 | head -1
git cat-file -e HEAD; echo rc=$?; git cat-file -e deadbeef; echo rc=$?
git cat-file -e 0123456789012345678901234567890123456789; echo rc=$?
git cat-file -p nope; echo rc=$?; git cat-file blob HEAD; echo rc=$?
printf 'HEAD\\nnope\\nHEAD:a.txt\\n' | git cat-file --batch-check
printf 'HEAD:a.txt\\n' | git cat-file --batch
git cat-file -t HEAD:missing; echo rc=$?; git cat-file -p :a.txt; git cat-file -s :src/h.txt
echo == grep
git grep hello; echo rc=$?; git grep -n -i hello; git grep -c hello; git grep -l hello; git grep -L hello
git grep -w foo; git grep -e foo -e again; git grep hello -- src
(cd src && git grep -n hello; git grep hello ..)
git grep --cached -n foo; git grep hello HEAD; echo rc=$?; git grep nomatch; echo rc=$?
git grep -q hello; echo rc=$?
echo 'hello untracked' > un.txt; git grep hello | grep -c un; git grep --untracked -l hello
git grep -E 'h(e|a)llo'; git grep -F 'o w'; git grep -h hello; git grep -o -i hello
git grep -A1 foo; git grep -I hello; git grep -c b HEAD; git grep -n a v1 -- a.txt
git grep -i HELLO -- '*.txt'; git grep nosuch -- nowhere; echo rc=$?
"""

# names git quotes, a link, a binary file, a subdirectory's view, bad usage
READING_ODD = """
git init -q -b main
mkdir -p src/sub 'we ird' ; echo hello > src/sub/c.py; echo hello > 'we ird/sp ace.txt'; printf 'hello\\n' > "$(printf 'tab\\tname')"
ln -s src/sub/c.py link; printf 'x\\0hello' > bin
git add .; git commit -qm i
git ls-files; git ls-files -z | tr '\\0' '|'; echo; git ls-files -s link
git ls-tree -r HEAD; git ls-tree -d -r HEAD; git ls-tree -r -l HEAD; git ls-tree -r --name-only -z HEAD | tr '\\0' '|'; echo
git grep hello; git grep -c hello; git grep -l hello; git grep hello HEAD; git grep -c hello HEAD
(cd src && git grep hello HEAD; git grep --cached hello; git grep -n hello HEAD -- ..; git ls-files -o; git ls-tree HEAD sub)
git grep -v hello; echo rc=$?; git grep -n -e hello --max-count 1; git grep -a hello bin
git cat-file -p HEAD^{tree}; git cat-file -p HEAD:link; git cat-file -t HEAD:src
git rm -q --cached link; git ls-files -o; git ls-files --others --exclude-standard -t
git grep; echo rc=$?; git ls-tree; echo rc=$?; git cat-file -x HEAD; echo rc=$?; git grep --and x; echo rc=$?
"""

# what agents run often: log -p/--stat/filters, blame, clean, shortlog, rev-parse forms
AGENT_COMMON = """
git init -q -b main
printf 'line1\\nline2\\nline3\\n' > f.txt; mkdir d; echo x > d/y.py
git add .; git commit -qm "first"
printf 'line1\\nLINE2\\nline3\\nline4\\n' > f.txt; echo z > d/z.py; git add .; git commit -qm "second change"
echo tmp > junk.tmp; mkdir junkdir; echo j > junkdir/j
git log -p --no-color | head -40
git log --stat
git show --stat HEAD
git log --format='%h %s' -n 1
git log --pretty=oneline --abbrev-commit
git diff HEAD~1 --stat
git diff HEAD~1 -- f.txt
git blame f.txt
git clean -n
git clean -nd
git shortlog -s
git log --name-only --oneline
git log --follow --oneline -- f.txt
git show HEAD~1:f.txt
git diff --cached --name-only
git log --since=2000-01-01 --oneline
git log --author=Thor --oneline
git log --grep=second --oneline
git branch -a; git branch -vv
git remote -v
git status --porcelain
git status --short --branch
git rev-list --count HEAD
git log -1 --format=%cd --date=iso
git show --name-status HEAD
git log --reverse --oneline
git log --oneline --graph
git config --get user.name; echo rc=$?
git rev-parse --abbrev-ref HEAD; git rev-parse --show-toplevel; git rev-parse --short HEAD
git describe --always
git clean -fd; ls
"""

# clean (-n/-f/-d/-x/-X/-e, pathspecs) and remote (add/rename/set-url/remove)
CLEAN_REMOTE = """
git init -q -b main
mkdir -p src keep; echo a > src/a; echo k > keep/k; printf '*.log\\nbuild/\\n' > .gitignore
git add .; git commit -qm one
echo u > src/u; echo l > x.log; mkdir -p build/deep new/deeper; echo b > build/deep/b; echo n > new/deeper/n; echo t > top
git clean; echo rc=$?
git clean -n; git clean -nd; git clean -nx; git clean -ndx; git clean -nX; git clean -ndX
git clean -n src; (cd src && git clean -n); git clean -n -e top
git clean -f; git status --short; git clean -fdx; git status --short --ignored; ls -A
git remote; git remote -v; git remote add origin https://example.com/r.git; git remote add up git@h:x/y.git
git remote; git remote -v; git remote get-url origin; git remote add origin x; echo rc=$?
git remote set-url origin https://e.com/new.git; git remote -v; git remote rename up upstream; git remote -v
git remote remove upstream; git remote; git remote remove nope; echo rc=$?; git remote get-url nope; echo rc=$?
git config --get remote.origin.fetch
"""

# log's --date modes and placeholders, --author/--grep/--since/--follow, rev-list, shortlog, blame through a rename
LOG_FILTERS = """
git init -q -b main
echo a > a; git add a; git commit -qm "first one"
echo b > b; git add b
GIT_AUTHOR_NAME=Other GIT_AUTHOR_DATE='2006-01-02T03:04:05 -0700' GIT_COMMITTER_DATE='2006-01-02T03:04:05 -0700' git commit -qm "second: fix bug" -m "body text"
git mv b c; GIT_COMMITTER_DATE='2007-03-04T05:06:07 +0000' GIT_AUTHOR_DATE='2007-03-04T05:06:07 +0000' git commit -qm "rename b"
echo more >> c; GIT_COMMITTER_DATE='2008-01-01T00:00:00 +0000' git commit -qam "touch c"
for d in iso iso-strict short raw unix rfc default 'format:%Y/%m/%d %H %z'; do git log -1 --date="$d" --format='%ad|%cd'; done
git log --format='%ai|%aI|%as|%at|%aD|%ci|%cI|%cs|%ct|%cD|%x41%n%h %p %t'
git log --date=short | head -5; git log --abbrev-commit -2; git log --pretty=oneline --abbrev-commit
git log --author=Oth --oneline; git log --author=nobody --oneline; git log --committer=Mitter --oneline
git log --grep=FIX -i --oneline; git log --grep=first --grep=fix --oneline; git log --grep=bug --grep=second --all-match --oneline
git log --grep=one --invert-grep --oneline; git log -E --grep='fi(x|rst)' --oneline; git log -F --grep='fix bug' --oneline
git log --since=2006-06-01 --oneline; git log --until=2006-06-01 --oneline; git log --after=2006-01-01 --before=2007-12-31 --oneline
git log --since='30 years ago' --oneline | wc -l; git log --skip=1 -2 --oneline; git log --no-merges --oneline | wc -l
git log --follow --oneline -- c; git log --oneline -- c; git log --follow --stat --oneline c
git rev-list HEAD; git rev-list --count HEAD; git rev-list --all --max-count=1; git rev-list HEAD~2..HEAD
git rev-list --reverse HEAD; git rev-list --count --author=Other HEAD; git rev-list; echo rc=$?
git shortlog HEAD; git shortlog -sn HEAD; git shortlog -se HEAD; git shortlog -s -c HEAD; git log | git shortlog -s
git blame c; git blame -s c; git blame -e a; git blame -L 1,1 c; git blame -l c | cut -c1-41; git blame HEAD~1 c
echo new >> c; git blame -s c | cut -c1-9,27-; git blame nope; echo rc=$?; git log --date=bogus -1; echo rc=$?
"""

CASES = {"session": SESSION, "status_diff_log": STATUS, "stash_reset": STASH_RESET,
         "errors": ERRORS, "renames": RENAMES, "log_forms": LOG_FORMS,
         "quoting": QUOTING, "agent_flow": AGENT_FLOW,
         "tags": TAGS, "apply": APPLY, "ignore": IGNORE,
         "fast_forward": FAST_FORWARD, "messages_detached": MESSAGES_DETACHED,
         "similar_renames": SIMILAR_RENAMES, "no_index": NO_INDEX,
         "reading": READING, "reading_odd": READING_ODD, "agent_common": AGENT_COMMON,
         "clean_remote": CLEAN_REMOTE, "log_filters": LOG_FILTERS}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_real_git(sb: Sandbox, name: str) -> None:
    fresh(sb)
    script = CASES[name]
    want = real_git(script)
    got = corral_git(sb, script)
    assert got.stdout == want.stdout, (got.stderr, want.stderr)
    assert got.status == want.status


def test_the_session_really_committed(sb: Sandbox) -> None:
    """Not only the same text: the same objects (ids) as git's for the same content."""
    fresh(sb)
    want = real_git(SESSION)
    got = corral_git(sb, SESSION)
    ids = [ln for ln in want.stdout.splitlines() if ln.startswith("commit ")]
    assert len(ids) == 2 and all(i in got.stdout for i in ids)


def test_missing_identity_is_gits_error() -> None:
    sb = Sandbox(budget=Budget(wall_s=60))
    script = "git init -q && echo x > f && git add f && git commit -m m; echo rc=$?"
    want = real_git(script, with_identity=False)
    got = corral_git(sb, script, with_identity=False)
    assert got.stdout == want.stdout == "rc=128\n"
    assert got.stderr.startswith("Author identity unknown\n\n*** Please tell me who you are.")
    assert want.stderr.split("fatal:")[0] == got.stderr.split("fatal:")[0]
    sb.close()


def test_identity_from_git_config() -> None:
    sb = Sandbox(budget=Budget(wall_s=60))
    script = (
        "git init -q && git config user.name 'Cfg Name' && git config user.email c@e.x && "
        "git config --global user.name 'Glob' && git config user.name && "
        "echo x > f && git add f && GIT_AUTHOR_DATE='@1700000000 +0000' "
        "GIT_COMMITTER_DATE='@1700000000 +0000' git commit -qm m && "
        "git log --format='%an <%ae> %ad' && git rev-parse HEAD"
    )
    want = real_git(script, with_identity=False)
    got = corral_git(sb, script, with_identity=False)
    assert got.stdout == want.stdout and "Cfg Name <c@e.x>" in got.stdout
    assert got.status == want.status == 0
    sb.close()


def test_help_and_version(sb: Sandbox) -> None:
    r = sb.run("git --help | head -1; git commit -h; echo rc=$?; git --version")
    assert r.stdout.startswith("usage: git ")
    assert "usage: git commit" in r.stdout and "rc=129" in r.stdout
    assert "dulwich" in r.stdout
