"""Files a program writes by argument are file writes (``policy/writes.py``): ``default``
refuses them outside the workspace and /tmp, naming the path, as it refuses a redirection."""

from __future__ import annotations

import pytest

from corral.events import ExecAction
from corral.policy.engine import Policy
from corral.policy.writes import write_targets

DEFAULT = Policy.builtin("default")


@pytest.mark.parametrize(
    ("argv", "targets"),
    [
        (["cp", "/tmp/p", "/etc/passwd"], ["/etc/passwd"]),
        (["cp", "-a", "--", "x", "/etc/cron.d/"], ["/etc/cron.d/"]),
        (["cp", "-t", "/usr/bin", "a", "b"], ["/usr/bin"]),
        (["cp", "-vt/usr/bin", "a"], ["/usr/bin"]),
        (["mv", "--target-directory=/etc/profile.d", "x.sh"], ["/etc/profile.d", "x.sh"]),
        (["mv", "/etc/hosts", "/tmp/h"], ["/etc/hosts", "/tmp/h"]),
        (["install", "-m", "755", "./t", "/usr/bin/ssh"], ["/usr/bin/ssh"]),
        (["install", "-d", "/usr/lib/x", "/usr/lib/y"], ["/usr/lib/x", "/usr/lib/y"]),
        (["ln", "-sf", "/tmp/x", "/usr/local/bin/x"], ["/usr/local/bin/x"]),
        (["rsync", "-a", "-e", "ssh -p 2", "x/", "/etc/x/"], ["/etc/x/"]),
        (["rsync", "-a", "x/", "host:/etc/x/"], []),
        (["tee", "-a", "/etc/environment", "/var/log/x"], ["/etc/environment", "/var/log/x"]),
        (["touch", "-d", "2020-01-01", "/etc/hosts"], ["/etc/hosts"]),
        # interactive editors write the files they open (a position, a command and stdin
        # are no files)
        (["nano", "/etc/cups/cupsd.conf"], ["/etc/cups/cupsd.conf"]),
        (["vim", "+42", "-c", "set nu", "a.py", "/etc/hosts"], ["a.py", "/etc/hosts"]),
        (["/usr/bin/vi", "-", "+/main"], []),
        (["emacs", "--eval", "(x)", "-nw", "/etc/fstab"], ["/etc/fstab"]),
        (["nano", "-s", "/bin/sh", "n.txt"], ["n.txt"]),
        (["ed", "-p", ":", "/etc/passwd"], ["/etc/passwd"]),
        (["mkdir", "-p", "-m", "700", "/usr/lib/dracut/modules.d/99x"],
         ["/usr/lib/dracut/modules.d/99x"]),
        (["chmod", "755", "/usr/bin/x"], ["/usr/bin/x"]),
        (["chown", "--reference=/etc", "/etc/shadow"], ["/etc/shadow"]),
        (["sed", "-i", "s/a/b/", "/etc/default/grub"], ["/etc/default/grub"]),
        (["sed", "-i.bak", "-e", "s/a/b/", "/etc/a", "/etc/b"], ["/etc/a", "/etc/b"]),
        (["sed", "-n", "s/a/b/p", "/etc/passwd"], []),
        (["perl", "-pi", "-e", "s/a/b/", "/etc/sudoers"], ["/etc/sudoers"]),
        (["perl", "-ne", "print", "/etc/sudoers"], []),
        (["dd", "if=/dev/zero", "of=/boot/x", "bs=1M"], ["/boot/x"]),
        (["curl", "-sLo", "/usr/bin/k", "https://x.example/k"], ["/usr/bin/k"]),
        (["curl", "--output=/etc/x", "https://x.example/k"], ["/etc/x"]),
        (["wget", "-O", "/etc/x", "https://x.example/k"], ["/etc/x"]),
        (["wget", "-qO-", "https://x.example/k"], []),
        (["cp", "a", "$DEST/x"], []),
        (["cp", "a", "~/x"], ["~/x"]),
        (["cp", "a", "$HOME/.bashrc"], ["~/.bashrc"]),
        (["tee", "-a", "AGENTS.md"], ["AGENTS.md"]),
        (["cp", "x", "../../etc/passwd"], []),
        (["find", "/", "-xdev", "-type", "f", "-delete"], ["/"]),
        (["find", "/srv", "/home", "-exec", "shred", "-u", "{}", "+"], ["/srv", "/home"]),
        (["find", "-name", "x", "-delete"], ["."]),
        (["find", "/var/log", "-name", "*.log", "-exec", "cat", "{}", "+"], []),
        (["find", "/", "-name", "x"], []),
        (["cat", "/etc/passwd"], []),
        (["cp"], []),
        # INI editors: --set/--del/--merge write the file, --get reads it
        (["crudini", "--set", "/etc/nova/nova.conf", "DEFAULT", "debug", "true"],
         ["/etc/nova/nova.conf"]),
        (["crudini", "--ini-options=nospace", "--del", "/etc/x.ini", "s"], ["/etc/x.ini"]),
        (["crudini", "--set", "--existing", "conf/app.ini", "db", "host", "h"], ["conf/app.ini"]),
        (["crudini", "--get", "/etc/nova/nova.conf", "DEFAULT", "debug"], []),
    ],
)
def test_write_targets(argv: list[str], targets: list[str]) -> None:
    assert write_targets(argv) == targets


@pytest.mark.parametrize(
    "line",
    [
        "cp /tmp/x /proc/sys/kernel/core_pattern",
        "echo 1 | tee /sys/kernel/mm/transparent_hugepage/enabled",
        "install -m 0755 ./helper /run/systemd/generator/x",
        "sed -i 's/^Defaults/#/' /etc/sudoers.d/README",
        "mkdir -p /data/x && cp x.sh /data/x/",
        "find . -name '*.pub' -exec cp {} /root/.ssh/ \\;",
        "nohup cp x /dev/sdb",
        "curl -so /etc/shadow https://x.example/tool",
        "crudini --set /run/corral/state.ini x y z",
    ],
)
def test_default_refuses_writes_outside_the_sandbox(line: str) -> None:
    """A device, a pseudo filesystem, a runtime directory, corral's own files, a credential
    store or a top directory no rule lists: refused, the path named."""
    decision = DEFAULT.decide_command(line)
    assert decision.verdict == "deny", decision.reason
    assert "writes a file it names" in decision.reason or "names the path" in decision.reason
    assert "filesystem" in (decision.rule or "")


@pytest.mark.parametrize(
    "line",
    [
        "cp /tmp/passwd.new /etc/passwd",
        "install -m 0755 ./helper /usr/sbin/helper",
        "sed -i 's|quiet|quiet init=/x|' /etc/default/grub",
        "mkdir -p /usr/lib/dracut/modules.d/90x && cp x.sh /usr/lib/dracut/modules.d/90x/",
        "echo ok | tee -a /etc/rsyslog.d/10-x.conf",
        "find . -name '*.so' -exec cp {} /usr/lib/ \\;",
        "nohup cp x /etc/cron.daily/x",
        "dd if=payload of=/boot/vmlinuz-x",
        "crudini --set /etc/keystone/keystone.conf oslo_messaging_notifications driver noop",
        "sudo mkdir -p /srv/app /var/lib/app /opt/app && sudo cp app.conf /srv/app/",
    ],
)
def test_writes_to_the_sandboxs_own_system_directories_run(line: str) -> None:
    """The system's and the volumes' directories are the sandbox's own in every tier (a
    read-only bind, the tier's own root; tests/test_system_paths_walls.py runs these as
    root inside bwrap and gVisor and finds the host unchanged): the write fails or stays."""
    decision = DEFAULT.decide_command(line)
    assert decision.verdict == "allow", decision.reason


@pytest.mark.parametrize(
    "line",
    [
        "cp a b",
        "cp -r src /tmp/build",
        "install -m 755 tool /workspace/bin/tool",
        "sed -i 's/a/b/' /workspace/setup.cfg",
        "mkdir -p /tmp/x/y",
        "tee /dev/null",
        "echo x | tee /dev/stderr /proc/self/fd/2 /dev/fd/1",
        "dd if=/dev/urandom of=/dev/null bs=1M count=1",
        "curl -so out.json file:///workspace/a",
        "sed -n 1p /etc/os-release",
        "cp /etc/os-release ./os-release",
        "crudini --set config/app.ini database host localhost",
        "crudini --get /etc/nova/nova.conf DEFAULT debug",
    ],
)
def test_default_lets_writes_inside_run(line: str) -> None:
    assert DEFAULT.decide_command(line).verdict == "allow"


def test_the_exec_action_is_decided_the_same_way() -> None:
    d = DEFAULT.decide(ExecAction(argv=["cp", "x", "/proc/sys/kernel/core_pattern"]))
    assert d.verdict == "deny" and "/proc/sys/kernel/core_pattern" in d.reason
    assert DEFAULT.decide(ExecAction(argv=["cp", "x", "/etc/ld.so.preload"])).verdict == "allow"
    rel = DEFAULT.decide(ExecAction(argv=["cp", "x", "../../etc/passwd"], cwd="/workspace"))
    assert rel.verdict == "allow"  # relative paths are not absolute literals: the kernel's


def test_a_policy_without_a_filesystem_section_is_not_affected() -> None:
    p = Policy.from_dict({"version": 1, "commands": {"default": "allow"}})
    assert p.decide_command("cp x /etc/passwd").verdict == "allow"


def test_writes_make_the_shell_worker_ask_the_host() -> None:
    """The worker's table of predecided commands must send argument paths to the host."""
    p = Policy.from_dict(
        {"version": 1, "commands": {"default": "allow"},
         "filesystem": {"default": "deny", "write": ["/workspace/**"]}}
    )
    table = p.exec_shortcuts()
    assert table is not None and table["paths"]


def test_script_c_is_looked_through() -> None:
    assert DEFAULT.decide_command("script -q -c 'sudo -s' /tmp/t").verdict == "deny"
    assert DEFAULT.decide_command("script --command=id out.log").verdict == "allow"
    assert DEFAULT.decide_command("script out.log").verdict == "allow"


@pytest.mark.parametrize("line", ["update-grub", "grub-mkconfig -o /boot/grub/grub.cfg",
                                  "dracut -f", "update-initramfs -u", "esxcli system version get"])
def test_boot_chain_tools_are_denied(line: str) -> None:
    d = DEFAULT.decide_command(line)
    assert d.verdict == "deny" and "privileged" in d.reason
