# shellcheck shell=bash
#
# Pure helpers of scripts/check-image and scripts/test, tested by Tests/VigilTests/ImageScriptTests.swift.

# check_image_wanted CI VIGIL_CHECK_IMAGE — prints true or false: whether scripts/test runs
# scripts/check-image after a green suite. VIGIL_CHECK_IMAGE=1 runs it, 0 skips it; unset or
# empty, it runs under CI=true only. Any other value is an error (status 2, a message on stderr).
check_image_wanted() {
  case $2 in
    1) echo true ;;
    0) echo false ;;
    "") if [[ $1 == true ]]; then echo true; else echo false; fi ;;
    *)
      printf 'VIGIL_CHECK_IMAGE must be 1 (run scripts/check-image after the suite) or 0 (skip it), not %s\n' "'$2'" >&2
      return 2
      ;;
  esac
}

# debian_mirror_from_apt SUITE SOURCES_FILE LIST_FILE — prints the Debian mirror the machine's own
# apt configuration uses for SUITE (the `debian` archive), or nothing (status 1) when neither file
# names one. Pure: reads only the two files it is given (either may be missing), so the tests feed
# it files of their own. scripts/check-image calls it with
# /etc/apt/sources.list.d/debian.sources and /etc/apt/sources.list.
#
#   SOURCES_FILE (deb822): the first stanza with `Types:` holding deb, `Suites:` holding SUITE
#   exactly (so bookworm-security's archive is never taken) and not `Enabled: no`; its first
#   http(s) URI of `URIs:`. Comment lines and continuation lines are allowed, field names are
#   case-insensitive, as apt reads them.
#   LIST_FILE (one-line style), read when SOURCES_FILE names none: the first `deb` line (options
#   in [...] allowed) whose suite is SUITE; its http(s) URI.
#
# A trailing slash is dropped. Other schemes (cdrom:, file:, mirror+, tor+) are not taken: debootstrap
# fetches over http(s) here, and the caller falls back to deb.debian.org.
debian_mirror_from_apt() {
  local suite=$1 sources=$2 list=$3 uri
  if [[ -r $sources ]]; then
    uri=$(awk -v suite="$suite" '
      function flush() {
        if (deb && has_suite && enabled && first != "") { print first; found = 1; exit }
        deb = 0; has_suite = 0; enabled = 1; first = ""; field = ""
      }
      BEGIN { enabled = 1 }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        line = $0
        if (line ~ /^[ \t]/) { value = line }           # continuation of the field above
        else {
          colon = index(line, ":")
          if (colon == 0) next
          field = tolower(substr(line, 1, colon - 1))
          value = substr(line, colon + 1)
        }
        n = split(value, words, /[ \t]+/)
        for (i = 1; i <= n; i++) {
          w = words[i]
          if (w == "") continue
          if (field == "types" && w == "deb") deb = 1
          else if (field == "suites" && w == suite) has_suite = 1
          else if (field == "enabled" && tolower(w) == "no") enabled = 0
          else if (field == "uris" && first == "" && w ~ /^https?:\/\/[^ \t]+$/) first = w
        }
      }
      END { if (!found) flush() }
    ' "$sources")
    if [[ -n $uri ]]; then
      printf '%s\n' "${uri%/}"
      return 0
    fi
  fi
  if [[ -r $list ]]; then
    uri=$(awk -v suite="$suite" '
      /^[ \t]*deb[ \t]/ {
        sub(/#.*/, "")
        line = $0
        sub(/^[ \t]*deb[ \t]+/, "", line)
        if (line ~ /^\[/) { if (index(line, "]") == 0) next; line = substr(line, index(line, "]") + 1) }
        n = split(line, words, /[ \t]+/)
        j = 0
        for (i = 1; i <= n; i++) if (words[i] != "") rest[++j] = words[i]
        if (j >= 2 && rest[2] == suite && rest[1] ~ /^https?:\/\//) { print rest[1]; exit }
      }
    ' "$list")
    if [[ -n $uri ]]; then
      printf '%s\n' "${uri%/}"
      return 0
    fi
  fi
  return 1
}
