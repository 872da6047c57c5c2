"""Mining pools named anywhere in a command: the effect behind ``./x -o pool:3333``.

A miner is only worth running when it reaches a pool: the pool's address is what every
form of mining has in common, whatever the binary is called (a renamed ``xmrig``, a
Python loop, a container image). :func:`pool_endpoints` finds pool addresses in a
command's words wherever they are written: an option's value (``-o``, ``--url=``,
``--pool``), a config file written by ``echo``/``printf``/``sed`` (``"url":
"pool.hashvault.pro:443"``), an environment variable (``POOL=stratum+tcp://h:3333``) or
interpreter code. A pool address is

* any ``stratum``-scheme URL (``stratum+tcp://``, ``stratum+ssl://``, ``stratum1+tcp://``,
  ``stratum2+tcp://``, ``stratum://``), whatever its host;
* a ``host:port`` whose registrable domain is a known public pool operator
  (``2miners.com``, ``nanopool.org``, ``moneroocean.stream``, ...);
* a ``host:port`` one of whose labels says it is a pool (``pool``, ``mine``, ``mining``,
  ``stratum``, ``xmr-eu1.nanopool``, ``yespower.mine.zergpool``), except on the ports
  of databases and of time servers (``pgpool.db:5432``, ``pool.ntp.org:123``).

The policy denies a command naming one (``no-resource-acquisition``), the address in the
reason. All matching is RE2 (linear in the text); a line is scanned up to
:data:`MAX_TEXT` characters.
"""

from __future__ import annotations

from typing import Final

from .. import saferegex

__all__ = ["MAX_TEXT", "pool_endpoints"]

MAX_TEXT: Final = 65536
_MAX_FOUND: Final = 4

#: a stratum URL: its host (user info before ``@`` skipped)
_STRATUM: Final = saferegex.compile(
    r"(?i)\bstratum[0-9]?(?:\+[a-z0-9]{1,8})?://(?:[^/@\s'\"]+@)?([a-z0-9][a-z0-9_.-]{0,252})"
)
#: a dotted host name followed by a port
_HOST_PORT: Final = saferegex.compile(
    r"(?i)(?:^|[^\w.-])([a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){1,8}):(\d{1,5})\b"
)
#: public pool operators (registrable domains)
_POOL_DOMAINS: Final = frozenset(
    {"2miners.com", "nanopool.org", "moneroocean.stream", "supportxmr.com", "hashvault.pro",
     "f2pool.com", "ethermine.org", "nicehash.com", "unmineable.com", "herominers.com",
     "kryptex.network", "woolypooly.com", "zergpool.com", "zpool.ca", "c3pool.com",
     "c3pool.org", "minergate.com", "minexmr.com", "ethpool.org", "flypool.org",
     "luckpool.net", "rplant.xyz", "viabtc.com", "antpool.com", "poolin.com", "emcd.io",
     "k1pool.com", "sparkpool.com", "dxpool.com", "hiveon.net", "hiveon.com", "ezil.me",
     "crazypool.org", "mining-dutch.nl", "prohashing.com", "miningpoolhub.com",
     "xmrpool.eu", "xmrpool.net", "monerohash.com", "moneropool.com", "p2pool.io",
     "gulf.moneroocean.stream", "solopool.org", "acc-pool.pw", "baikalmine.com",
     "bsod.pw", "fairpool.xyz", "icemining.ca", "mypool.online", "braiins.com",
     "slushpool.com", "poolbinance.com", "kaspa-pool.org",
     "acepool.top", "vipor.net", "2miners.org", "zeropool.io", "qubic.li", "monero.hashvault.pro",
     "dero-node-sk.mypool.online", "pool.sexy", "666pool.cn", "sigmapool.com", "cruxpool.com",
     "hashcity.org", "ravenminer.com", "nanopool.com", "frkhash.net", "coinfoundry.org",
     "pool.kryptex.network", "rvn.kryptex.network", "xmrfast.com", "cryptonote.social",
     "skypool.org", "hellominer.com", "cedric-crispin.com", "suprnova.cc", "zhash.pro",
     "heropool.net", "miner.rocks", "hashpool.com", "pooolx.com", "letshash.it"}
)  # fmt: skip
#: a label that names a pool (``pool``, ``xmrpool``, ``mine``, ``stratum-eu``)
_POOL_LABEL: Final = saferegex.compile(
    r"(?i)^(?:[a-z0-9]*pool|pool[a-z0-9]*|mine|mining|miners?|stratum)(?:[0-9-][a-z0-9-]*)?$"
)
#: ports of services whose hosts are called pools too (connection pools, NTP pools)
_NOT_POOL_PORTS: Final = frozenset(
    {"123", "5432", "6432", "3306", "6379", "27017", "11211", "9042", "1433", "1521",
     "5672", "9092", "2181", "8123", "9000", "53"}
)  # fmt: skip


def _pool_host(host: str, port: str) -> bool:
    labels = host.lower().split(".")
    for k in range(len(labels) - 1):
        if ".".join(labels[k:]) in _POOL_DOMAINS:
            return True
    if port in _NOT_POOL_PORTS:
        return False
    return any(_POOL_LABEL.match(label) for label in labels[:-1])


def pool_endpoints(text: str) -> list[str]:
    """The mining pool addresses ``text`` names (``host`` or ``host:port``), at most a few."""
    text = text[:MAX_TEXT]
    found: list[str] = []
    lowered = text.lower()
    if "stratum" in lowered:
        for m in _STRATUM.finditer(text):
            found.append(m.group(1))
            if len(found) >= _MAX_FOUND:
                return found
    if ":" not in text:
        return found
    for m in _HOST_PORT.finditer(text):
        host, port = m.group(1), m.group(2)
        if _pool_host(host, port) and host not in found:
            found.append(f"{host}:{port}")
            if len(found) >= _MAX_FOUND:
                break
    return found
