"""Remote-account CLIs: the API host a cloud, PaaS or SaaS command line talks to
(and the public relays of file-transfer tools).

``fly apps destroy api-prod``, ``supabase projects delete x`` or ``doppler secrets
download`` name no host, yet each acts on a remote account with the credentials stored for
it: the CLI connects to its vendor's API. :func:`account_hosts` gives that API host, so the
policy decides it as a network action (:meth:`~corral.policy.Policy.decide_net`) exactly as
the proxy will decide the connection when it is made: a host not listed is refused before
the command runs, the reason naming it ("fly talks to 'api.fly.io'"); a host a policy lists
(``network.allow: [api.fly.io]``) lets the command run.

The local forms of these CLIs talk to nothing and run: ``--version``, ``help``,
``completion``, local configuration (``gcloud config list``, ``aws configure list``) and
local emulators and dev servers (``supabase start``, ``firebase emulators:start``,
``wrangler dev`` unless ``--remote``, ``heroku local``, ``sam local``). An endpoint given on
the command line (``aws --endpoint-url http://localhost:4566``) replaces the vendor's host:
that URL is the place the command connects to (:mod:`corral.policy.hosts` finds it).

Packages run by ``npx``/``bunx``/``pnpm dlx``/``yarn dlx``/``npm exec``/``uvx``/``pipx
run`` (``npx vercel deploy``, ``npx wrangler@3 deploy``) are the same CLIs
(:func:`package_command`; the policy engine decides a runner's command as its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "ACCOUNT_PROGRAMS",
    "PACKAGE_RUNNERS",
    "AccountCli",
    "account_hosts",
    "account_program",
    "package_command",
]

#: verbs that only print the CLI's own help, version or shell completion
_LOCAL_VERBS: Final = frozenset({"version", "help", "completion", "completions", "autocomplete"})
#: release tracks before a service name (``gcloud beta run deploy``)
_TRACKS: Final = frozenset({"alpha", "beta", "preview"})
#: arguments that make any invocation print help or a version and exit
_LOCAL_FLAGS: Final = frozenset({"--help", "--version"})
#: the same, only as the sole argument (``-h``/``-v`` mean other things after a verb)
_LOCAL_ALONE: Final = frozenset({"-h", "-v", "-V", "help", "version"})


@dataclass(frozen=True)
class AccountCli:
    """One CLI: ``host`` is its API host (``{verb}`` is replaced by the first operand,
    ``aws s3 ls`` -> ``s3.amazonaws.com``); ``local`` are operand prefixes that talk to
    nothing (``("config",)``, ``("emulators:start",)``); ``remote`` when given are the
    operands that reach the account, any of them (a name two tools share: MongoDB's
    ``atlas`` and Ariga's); ``local_flags`` make any verb local (``--local``) unless one of
    ``remote_flags`` is given too (``--remote``, ``--linked``); ``value_options`` are
    global options whose value is not a verb (``aws --profile prod s3 ls``); ``bare_acts``
    when the CLI acts with no verb (``vercel`` and ``surge`` deploy the directory);
    ``endpoint_options`` name another endpoint (``aws --endpoint-url URL``): a URL given
    there is the host instead (an option the CLI does not have is no way around it)."""

    host: str
    local: tuple[tuple[str, ...], ...] = ()
    remote: frozenset[str] | None = None
    local_flags: frozenset[str] = field(default_factory=frozenset)
    remote_flags: frozenset[str] = field(default_factory=frozenset)
    value_options: frozenset[str] = field(default_factory=frozenset)
    bare_acts: bool = False
    endpoint_options: frozenset[str] = field(default_factory=frozenset)


def _cli(
    host: str,
    *local: str,
    remote: str = "",
    local_flags: str = "",
    remote_flags: str = "",
    value_options: str = "",
    bare_acts: bool = False,
    endpoint_options: str = "",
) -> AccountCli:
    return AccountCli(
        host=host,
        local=tuple(tuple(v.split()) for v in local),
        remote=frozenset(remote.split()) if remote else None,
        local_flags=frozenset(local_flags.split()),
        remote_flags=frozenset(remote_flags.split()),
        value_options=frozenset(value_options.split()),
        bare_acts=bare_acts,
        endpoint_options=frozenset(endpoint_options.split()),
    )


_GCLOUD_LOCAL = ("config", "info", "topic", "auth list", "components list --only-local-state",
                 "emulators", "beta emulators", "alpha emulators")  # fmt: skip

#: program -> its CLI entry
ACCOUNT_CLIS: Final[dict[str, AccountCli]] = {
    # clouds
    "awscli": _cli("{verb}.amazonaws.com", "configure list", value_options="--profile --region",
                   endpoint_options="--endpoint-url"),
    "aws": _cli("{verb}.amazonaws.com", "configure list", "configure list-profiles",
                "configure set", "configure sso-session list",
                value_options="--profile --region --output --query --color --ca-bundle "
                "--cli-read-timeout --cli-connect-timeout --cli-binary-format",
                endpoint_options="--endpoint-url"),
    "sam": _cli("cloudformation.amazonaws.com", "local", "build", "init", "validate --lint"),
    "cdk": _cli("cloudformation.amazonaws.com", "synth", "synthesize", "init", "ls", "list",
                "doctor", "context", "docs"),
    # eb is also EasyBuild's command (``eb GROMACS-2024.eb --robot``, ``eb --search X``):
    # Elastic Beanstalk's only by its verbs
    "eb": _cli("elasticbeanstalk.amazonaws.com", "local", remote=(
        "init create deploy status health events logs open console config terminate setenv "
        "printenv list use scale ssh labs platform appversion swap restore tags upgrade "
        "codesource abort clone migrate"
    )),
    "copilot": _cli("ecs.amazonaws.com"),
    "ecs-cli": _cli("ecs.amazonaws.com"),
    "amplify": _cli("amplify.amazonaws.com", "mock", "codegen"),
    "gcloud": _cli("{verb}.googleapis.com", *_GCLOUD_LOCAL,
                   value_options="--project --account --configuration --format --verbosity "
                   "--impersonate-service-account --billing-project --flags-file"),
    "gsutil": _cli("storage.googleapis.com"),
    "bq": _cli("bigquery.googleapis.com"),
    "az": _cli("management.azure.com", "config", "account show", "account list", "bicep build",
               "bicep format", "bicep decompile", "bicep lint", "bicep version", "extension list"),
    "azd": _cli("management.azure.com", "config"),
    "func": _cli("management.azure.com", "start", "init", "new", "templates", "extensions",
                 "settings", remote="azure"),
    "doctl": _cli("api.digitalocean.com", "auth list", "auth switch"),
    "hcloud": _cli("api.hetzner.cloud", "context list", "context active", "context use"),
    "linode-cli": _cli("api.linode.com"),
    "linode": _cli("api.linode.com"),
    "ibmcloud": _cli("cloud.ibm.com", "config", "plugin list"),
    "ic": _cli("cloud.ibm.com", "config", "plugin list"),
    "yc": _cli("api.cloud.yandex.net", "config list", "config get", "config profile list"),
    "exo": _cli("api.exoscale.com", "config list", "config show"),
    "scw": _cli("api.scaleway.com", "config get", "config dump", "config info"),
    "vultr-cli": _cli("api.vultr.com"),
    "civo": _cli("api.civo.com", "config"),
    "upctl": _cli("api.upcloud.com"),
    "ionosctl": _cli("api.ionos.com", "config"),
    "metal": _cli("api.equinix.com", "env"),
    "aliyun": _cli("ecs.aliyuncs.com", "configure list", "configure get"),
    "tccli": _cli("api.tencentcloudapi.com", "configure list", "configure get"),
    # platforms and hosting
    "fly": _cli("api.fly.io"),
    "flyctl": _cli("api.fly.io"),
    "heroku": _cli("api.heroku.com", "local", "plugins"),
    "vercel": _cli("api.vercel.com", "build", bare_acts=True),
    "netlify": _cli("api.netlify.com", local_flags="--offline"),
    "railway": _cli("backboard.railway.app"),
    "render": _cli("api.render.com"),
    "koyeb": _cli("app.koyeb.com"),
    "northflank": _cli("api.northflank.com"),
    "surge": _cli("surge.surge.sh", bare_acts=True),
    "now": _cli("api.vercel.com", bare_acts=True),
    "supabase": _cli("api.supabase.com", "start", "stop", "status", "init", "functions serve",
                     "functions new", "migration new", "migration list --local",
                     "db start", "db reset", "db diff", "db lint", "gen types typescript --local",
                     "test db",
                     local_flags="--local", remote_flags="--linked --db-url --project-ref"),
    "firebase": _cli("firebase.googleapis.com", "emulators:start", "emulators:exec",
                     "emulators:export", "serve", "setup:emulators:firestore",
                     "setup:emulators:database", "setup:emulators:storage",
                     "setup:emulators:pubsub", "setup:emulators:ui"),
    "wrangler": _cli("api.cloudflare.com", "dev", "types", "docs",
                     local_flags="--local", remote_flags="--remote"),
    "stripe": _cli("api.stripe.com", "config --list", endpoint_options="--api-base"),
    "twilio": _cli("api.twilio.com", "config"),
    "sentry-cli": _cli("sentry.io"),
    # secrets managers, data platforms, storage
    "doppler": _cli("api.doppler.com", "configure get", "configure debug",
                    endpoint_options="--api-host"),
    "infisical": _cli("app.infisical.com", endpoint_options="--domain"),
    "chamber": _cli("ssm.amazonaws.com", "version"),
    "berglas": _cli("secretmanager.googleapis.com"),
    "akeyless": _cli("api.akeyless.io"),
    "bws": _cli("api.bitwarden.com"),
    "hcp": _cli("api.cloud.hashicorp.com", "profile"),
    "databricks": _cli("accounts.cloud.databricks.com", "bundle init"),
    "snowsql": _cli("app.snowflake.com"),
    "snow": _cli("app.snowflake.com", "connection list", "helpers", "init"),
    # b2 is also Boost.Build's command (``./b2 toolset=gcc stage``): Backblaze's by its verbs
    "b2": _cli("api.backblazeb2.com", remote=(
        "authorize-account authorize_account account bucket file key ls rm sync cat "
        "upload-file upload_file download-file download-file-by-name download-file-by-id "
        "copy-file-by-id create-bucket delete-bucket list-buckets get-bucket update-bucket "
        "get-file-info hide-file list-file-names create-key delete-key list-keys replication "
        "get-account-info clear-account cancel-all-unfinished-large-files"
    )),
    "mongocli": _cli("cloud.mongodb.com", "config list", "config describe"),
    "neonctl": _cli("console.neon.tech"),
    "pscale": _cli("api.planetscale.com"),
    "turso": _cli("api.turso.tech", "dev", "config"),
    "upstash": _cli("api.upstash.com"),
    # backends as a service: the deployment's data and functions (``convex import --prod
    # --replace`` overwrites a deployment's tables; ``convex dev`` is the local loop)
    "convex": _cli("api.convex.dev", remote="deploy import export run env data logs"),
    "appwrite": _cli("cloud.appwrite.io", "init", "login"),
    "xata": _cli("api.xata.io", "init", "codegen"),
    "sanity": _cli("api.sanity.io", "dev", "start", "build", "init", "docs", "preview",
                   "typegen", "schema extract"),
    "datadog-ci": _cli("api.datadoghq.com"),
    # rented compute: GPU clouds and serverless runners (machines and money outside)
    "modal": _cli("api.modal.com", "config show", "config list"),
    "runpodctl": _cli("api.runpod.io"),
    "vastai": _cli("console.vast.ai"),
    "replicate": _cli("api.replicate.com"),
    "atlas": _cli("cloud.mongodb.com", remote=(
        "auth clusters projects organizations orgs dbusers dbroles customDbRoles "
        "accessLists accessList backups alerts teams users privateEndpoints networking "
        "serverless api events logs metrics processes dataFederation streams integrations "
        "cloudProviders liveMigrations maintenanceWindows federatedAuthentication "
        "auditing security search kubernetes")),
    # more clouds and managed services (the account's databases, queues and machines)
    "ovh-cli": _cli("eu.api.ovh.com"),
    "ovhcloud": _cli("eu.api.ovh.com"),
    "ovhai": _cli("gra.ai.cloud.ovh.net"),
    "avn": _cli("api.aiven.io", "user info"),
    "confluent": _cli("api.confluent.cloud", "local"),
    "ccloud": _cli("api.confluent.cloud"),
    "clever": _cli("api.clever-cloud.com"),
    "scalingo": _cli("api.osc-fr1.scalingo.com"),
    "qovery": _cli("api.qovery.com"),
    "ossutil": _cli("oss.aliyuncs.com"),
    "ossutil64": _cli("oss.aliyuncs.com"),
    "coscli": _cli("cos.myqcloud.com"),
    "coscmd": _cli("cos.myqcloud.com"),
    "obsutil": _cli("obs.myhuaweicloud.com"),
    "kaggle": _cli("www.kaggle.com", "config view"),
    "paperspace": _cli("api.paperspace.com"),
    "pspace": _cli("api.paperspace.com"),
    "brev": _cli("api.brev.dev"),
    "together": _cli("api.together.xyz"),
    "openai": _cli("api.openai.com"),
    # cloud drives and workspaces: files and messages in someone's account
    "mega-login": _cli("g.api.mega.co.nz"),
    "mega-logout": _cli("g.api.mega.co.nz"),
    "mega-put": _cli("g.api.mega.co.nz"),
    "mega-get": _cli("g.api.mega.co.nz"),
    "mega-ls": _cli("g.api.mega.co.nz"),
    "mega-sync": _cli("g.api.mega.co.nz"),
    "mega-export": _cli("g.api.mega.co.nz"),
    "mega-share": _cli("g.api.mega.co.nz"),
    "mega-cp": _cli("g.api.mega.co.nz"),
    "mega-mv": _cli("g.api.mega.co.nz"),
    "mega-rm": _cli("g.api.mega.co.nz"),
    "mega-mkdir": _cli("g.api.mega.co.nz"),
    "mega-import": _cli("g.api.mega.co.nz"),
    "mega-whoami": _cli("g.api.mega.co.nz"),
    "mega-backup": _cli("g.api.mega.co.nz"),
    "mega-webdav": _cli("g.api.mega.co.nz"),
    "mega-ftp": _cli("g.api.mega.co.nz"),
    "mega-signup": _cli("g.api.mega.co.nz"),
    "mega-exec": _cli("g.api.mega.co.nz"),
    "megaput": _cli("g.api.mega.co.nz"),
    "megaget": _cli("g.api.mega.co.nz"),
    "megals": _cli("g.api.mega.co.nz"),
    "megadl": _cli("g.api.mega.co.nz"),
    "megarm": _cli("g.api.mega.co.nz"),
    "megacopy": _cli("g.api.mega.co.nz"),
    "megamkdir": _cli("g.api.mega.co.nz"),
    "megadf": _cli("g.api.mega.co.nz"),
    "megareg": _cli("g.api.mega.co.nz"),
    "megatools": _cli("g.api.mega.co.nz"),
    "gdrive": _cli("www.googleapis.com"),
    "dbxcli": _cli("api.dropboxapi.com"),
    "dropbox_uploader.sh": _cli("api.dropboxapi.com"),
    "onedrive": _cli("graph.microsoft.com"),
    "m365": _cli("graph.microsoft.com"),
    "mgc": _cli("graph.microsoft.com"),
    "slackdump": _cli("slack.com"),
    "signal-cli": _cli("chat.signal.org"),
    "pastebinit": _cli("paste.ubuntu.com"),
    "gist": _cli("api.github.com"),
    "s5cmd": _cli("s3.amazonaws.com", endpoint_options="--endpoint-url"),
    "eas": _cli("api.expo.dev", "config", "diagnostics"),
    "deployctl": _cli("dash.deno.com"),
    "spacectl": _cli("app.spacelift.io"),
    "acli": _cli("api.atlassian.com"),
    "cntb": _cli("api.contabo.com"),
    "stackit": _cli("api.stackit.cloud", "config"),
    "gcore": _cli("api.gcore.com"),
    "vultr": _cli("api.vultr.com"),
    "slack": _cli("slack.com"),
    # file transfer through a public relay
    "croc": _cli("croc.schollz.com", "relay"),
    "wormhole": _cli("relay.magic-wormhole.io"),
    "ffsend": _cli("send.vis.ee"),
    # source hosts
    "gh": _cli("api.github.com", "config", "alias", "extension list", "ext list"),
    "hub": _cli("api.github.com"),
    "glab": _cli("gitlab.com", "config", "alias"),
    "tea": _cli("gitea.com", "logins list", "login list"),
}  # fmt: skip

#: npm packages that install these CLIs (``npx vercel``, ``bunx wrangler``)
_PACKAGES: Final[dict[str, str]] = {
    "vercel": "vercel", "netlify-cli": "netlify", "wrangler": "wrangler",
    "firebase-tools": "firebase", "supabase": "supabase", "@railway/cli": "railway",
    "aws-cdk": "cdk", "heroku": "heroku", "@doppler/cli": "doppler",
    "@infisical/cli": "infisical", "surge": "surge", "@mongodb-js/atlas-cli": "atlas",
    "@sentry/cli": "sentry-cli", "twilio-cli": "twilio", "convex": "convex",
    "@sanity/cli": "sanity", "appwrite-cli": "appwrite", "@xata.io/cli": "xata",
}  # fmt: skip
#: package runners: program -> (the words before the package, options taking a value)
_RUNNERS: Final[dict[str, tuple[tuple[str, ...], frozenset[str]]]] = {
    **{p: ((), frozenset({"-p", "--package", "-c", "--call"})) for p in ("npx", "bunx", "pnpx")},
    "pnpm": (("dlx",), frozenset({"--package"})),
    "yarn": (("dlx",), frozenset({"-p", "--package"})),
    "npm": (("exec",), frozenset({"-p", "--package", "-c", "--call", "-w", "--workspace"})),
    "bun": (("x",), frozenset()),
    "uvx": ((), frozenset({"--from", "--with", "--python", "-p", "--index", "--index-url"})),
    "pipx": (("run",), frozenset({"--spec", "--python", "--index-url", "--pip-args"})),
}  # fmt: skip
#: every program a runner runs a package with (:func:`package_command`)
PACKAGE_RUNNERS: Final = frozenset(_RUNNERS)
#: every program :func:`account_hosts` may give a host for (the shell worker's shortcut
#: table sends these to the policy)
ACCOUNT_PROGRAMS: Final = frozenset({*ACCOUNT_CLIS, *_RUNNERS})


def package_command(argv: list[str]) -> list[str] | None:
    """The command a package runner runs, its program named as the package installs it:
    ``npx wrangler@3 deploy`` -> ``['wrangler', 'deploy']``, ``pnpm dlx @railway/cli up``
    -> ``['railway', 'up']``, ``uvx twine upload dist/*`` -> ``['twine', 'upload',
    'dist/*']``; ``None`` when ``argv`` runs no package."""
    prog = argv[0].rsplit("/", 1)[-1]
    spec = _RUNNERS.get(prog)
    if spec is None:
        return None
    lead, value_options = spec
    args = argv[1:]
    if list(args[: len(lead)]) != list(lead):
        return None
    args = args[len(lead) :]
    j = 0
    while j < len(args) and args[j].startswith("-"):
        j += 2 if args[j] in value_options else 1
    if j >= len(args):
        return None
    name = args[j]
    if name.startswith("@"):
        scope, _, rest = name[1:].partition("/")
        name = "@" + scope + "/" + rest.split("@", 1)[0]
    else:
        name = name.split("@", 1)[0].split("==", 1)[0]
    cli = _PACKAGES.get(name, name.rsplit("/", 1)[-1])
    return [cli, *args[j + 1 :]] if cli else None


def account_program(argv: list[str]) -> tuple[str, list[str]] | None:
    """``(cli, args)`` when ``argv`` runs a remote-account CLI (directly or by a package
    runner), else ``None``."""
    if not argv:
        return None
    prog = argv[0].rsplit("/", 1)[-1]
    if prog in ACCOUNT_CLIS:
        return prog, argv[1:]
    inner = package_command(argv) if prog in _RUNNERS else None
    if inner is not None and inner[0] in ACCOUNT_CLIS:
        return inner[0], inner[1:]
    return None


def _operands(args: list[str], value_options: frozenset[str] = frozenset()) -> list[str]:
    words: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a.startswith("-"):
            skip = a in value_options
        elif a:
            words.append(a)
    return words


def _is_local(cli: AccountCli, args: list[str]) -> bool:
    if (not args and not cli.bare_acts) or (len(args) == 1 and args[0] in _LOCAL_ALONE):
        return True
    if any(a in _LOCAL_FLAGS for a in args):
        return True
    flags = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    if cli.remote_flags & flags:
        return False
    if cli.local_flags & flags:
        return True
    words = _operands(args, cli.value_options)
    if not words:
        return not cli.bare_acts and not args  # options alone may act (``vercel --prod``)
    if words[0] in _LOCAL_VERBS:
        return True
    if cli.remote is not None and not cli.remote.intersection(words):
        return True
    for prefix in cli.local:
        pos = [p for p in prefix if not p.startswith("-")]
        opts = [p for p in prefix if p.startswith("-")]
        if words[: len(pos)] == pos and all(o in args for o in opts):
            return True
    return False


def _endpoint_given(args: list[str], options: frozenset[str]) -> bool:
    """Whether an endpoint option names a URL (``--endpoint-url http://localhost:4566``):
    :func:`corral.policy.hosts.command_hosts` finds and decides that host instead."""
    for j, a in enumerate(args):
        name, eq, value = a.partition("=")
        if name not in options:
            continue
        if not eq:
            value = args[j + 1] if j + 1 < len(args) else ""
        if "://" in value:
            return True
    return False


def account_hosts(argv: list[str]) -> list[str]:
    """The API host a remote-account CLI command talks to (``fly apps destroy x`` ->
    ``['api.fly.io']``); empty for other programs, for local forms (version, help, local
    configuration, emulators) and when an endpoint is given on the command line."""
    found = account_program(argv)
    if found is None:
        return []
    prog, args = found
    cli = ACCOUNT_CLIS[prog]
    if _is_local(cli, args):
        return []
    if cli.endpoint_options and _endpoint_given(args, cli.endpoint_options):
        return []  # the endpoint named is the place it connects to (decided as a host)
    host = cli.host
    if "{verb}" in host:
        words = [w for w in _operands(args, cli.value_options) if w not in _TRACKS]
        verb = words[0].lower() if words else "api"
        if verb == "s3api":
            verb = "s3"
        if not verb.replace("-", "").isalnum():
            verb = "api"
        host = host.replace("{verb}", verb)
    return [host]
