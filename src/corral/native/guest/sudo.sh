#!/bin/sh
# corral's sudo and doas (installed as /run/corral/bin/sudo and .../doas, first on PATH).
# Nothing in corral's sandbox is privileged (no capabilities, a user namespace,
# no_new_privs): these run COMMAND as the sandbox's own user. The policy decided the line
# as COMMAND before it ran, and the monitor saw that privilege was sought.
name=${0##*/}
shell=
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; break ;;
    --chdir=*) cd -- "${1#*=}" || exit 1; shift ;;
    --list) echo "$name: in corral's sandbox every command runs as its own user"; exit 0 ;;
    --validate|--reset-timestamp|--remove-timestamp)
      shift; [ $# -eq 0 ] && exit 0 ;;
    --login|--shell) shell=1; shift ;;
    --edit) echo "$name: editing as root is not available here (no editor)" >&2; exit 1 ;;
    --help|--version) echo "$name (corral): runs commands as the sandbox's own user"; exit 0 ;;
    --*) shift ;;
    -?*)
      opts=${1#-}; shift
      while [ -n "$opts" ]; do
        c=${opts%"${opts#?}"}; opts=${opts#?}
        case $c in
          u|g|p|C|r|t|T|U|D)
            if [ -n "$opts" ]; then
              arg=$opts; opts=
            elif [ $# -gt 0 ]; then
              arg=$1; shift
            else
              echo "$name: option requires an argument -- '$c'" >&2; exit 1
            fi
            if [ "$c" = D ]; then cd -- "$arg" || exit 1; fi ;;
          l) echo "$name: in corral's sandbox every command runs as its own user"; exit 0 ;;
          v|k|K) if [ $# -eq 0 ] && [ -z "$opts" ]; then exit 0; fi ;;
          i|s) shell=1 ;;
          e) echo "$name: editing as root is not available here (no editor)" >&2; exit 1 ;;
          h|V) echo "$name (corral): runs commands as the sandbox's own user"; exit 0 ;;
        esac
      done ;;
    *) break ;;
  esac
done
command=
for word in "$@"; do  # NAME=VALUE words first (env takes them), then the command
  case $word in
    [A-Za-z_]*=*)
      case ${word%%=*} in
        *[!A-Za-z0-9_]*) command=1; break ;;
      esac ;;
    *) command=1; break ;;
  esac
done
if [ -z "$command" ]; then
  if [ -n "$shell" ]; then
    echo "$name: no root shell here (nothing is privileged)" >&2
  else
    echo "usage: $name [OPTION]... COMMAND [ARG]..." >&2
  fi
  exit 1
fi
exec env -- "$@"
