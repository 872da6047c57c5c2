#!/bin/sh
# corral's front for vi and vim (installed as /run/corral/bin/vi, vim, view, vimdiff, rvim,
# rview and editor, first on PATH; the program of the same name further on PATH does the
# work; `editor` only when it is vim).
#
# A command in corral has no terminal. Vim with no terminal reads its keys from stdin and,
# when stdin ends, from stderr: a pipe's writing end, which never has anything to read, so
# vim waited until the wall-clock budget ended. Here, with no terminal on stdin or stderr
# and vim about to show its screen:
#   - no keys on stdin and no commands (-c, +cmd, --cmd, -S, -s): a clear error, at once;
#   - keys or commands: vim runs them, then the keys <Esc><Esc>:qa!<CR>, what the end of
#     input would have meant (quit; nothing written that the keys did not write).
# Ex mode (-e, -E, -es: reads stdin and ends with it), a terminal, --help and --version
# run the program unchanged. This is a convenience, not a wall: the tier is the wall.
name=${0##*/}
real=
oldifs=$IFS
IFS=:
for dir in $PATH; do
  case $dir in /run/corral/bin|/run/corral/bin/) continue ;; esac
  [ -f "$dir/$name" ] && [ -x "$dir/$name" ] || continue
  [ "$dir/$name" -ef "$0" ] && continue  # this front itself, by another path
  real=$dir/$name
  break
done
IFS=$oldifs
if [ -z "$real" ]; then
  echo "$name: command not found" >&2
  exit 127
fi
if [ -t 0 ] || [ -t 2 ]; then
  exec "$real" "$@"
fi
case $name in  # Debian's `editor` (what sensible-editor runs) is vim or another editor
  vi|vim|view|vimdiff|rvim|rview) ;;
  *)
    case $(readlink -f -- "$real" 2>/dev/null) in
      */vi|*/vim|*/vim.*|*/view|*/vimdiff|*/rvim|*/rview) ;;
      *) exec "$real" "$@" ;;
    esac ;;
esac
scripted=
stdin_text=
skip=
for arg in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case $arg in
    --) break ;;
    --help|--version|--serverlist) exec "$real" "$@" ;;
    --cmd) scripted=1; skip=1 ;;
    --startuptime|--servername|--log|--remote*|--socketid|--windowid|-display|--display) skip=1 ;;
    --*) ;;
    -) stdin_text=1 ;;
    +*) scripted=1 ;;
    -*)
      letters=${arg#-}
      while [ -n "$letters" ]; do
        c=${letters%"${letters#?}"}; letters=${letters#?}
        case $c in
          e|E|h|r|L) exec "$real" "$@" ;;  # ex mode, help, swap files listed
          c|S|s)
            scripted=1
            [ -z "$letters" ] && skip=1
            letters= ;;
          u|U|i|T|t|w|W) [ -z "$letters" ] && skip=1; letters= ;;  # their argument
          V|q) letters= ;;
        esac
      done ;;
  esac
done
no_terminal="$name: no terminal here (corral runs commands without one)"
edit="ex -sc '%s/old/new/g|x' FILE, sed -i 's/old/new/g' FILE"
if [ -n "$stdin_text" ]; then
  printf '%s\n' "$no_terminal: '$name -' reads the text from stdin and the keys from a terminal." \
    "Write the text to a file and edit that: $edit" >&2
  exit 1
fi
keys=$(mktemp "${TMPDIR:-/tmp}/corral-vim-keys.XXXXXX") || exit 1
head -c 1048577 > "$keys"  # keys, at most 1 MiB: an endless stream (`yes | vim F`) ends here
if [ "$(wc -c < "$keys")" -gt 1048576 ]; then
  rm -f -- "$keys"
  echo "$no_terminal, and more than 1 MiB of keys came on stdin: give a file's text with a redirect, not as keys." >&2
  exit 1
fi
if [ ! -s "$keys" ] && [ -z "$scripted" ]; then
  rm -f -- "$keys"
  printf '%s\n' "$no_terminal, and no keys came on stdin: nothing to edit interactively." \
    "Edit without one: $edit, or give the keys on stdin:" \
    "printf 'ihello\\033:wq\\r' | $name FILE. To read a file: cat FILE" >&2
  exit 1
fi
printf '\033\033:qa!\r' >> "$keys"
exec < "$keys"
rm -f -- "$keys"
exec "$real" "$@"
