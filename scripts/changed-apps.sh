#!/usr/bin/env bash
# Which images a range of commits changes: the one detection rule that both
# deploy.sh and .gitea/workflows/ci.yml use, so they can never disagree.
#
#   scripts/changed-apps.sh --list                    every deployable, one a line
#   scripts/changed-apps.sh BASE [HEAD]               deployables changed in BASE..HEAD
#   scripts/changed-apps.sh --since-deploy STACK [HEAD]
#                                                     ... since the last deploy of STACK
#
# Output is one name a line, always in the order of --list. An empty or
# unknown BASE (a first deploy, or history rewritten under the deploy ref)
# means everything: over-deploying is safe, missing a change is not.
#
# The last deploy of a stack is the git ref refs/deploy/<STACK>. deploy.sh
# moves it after a successful deploy that covered every pending change, and CI
# pushes it to the Gitea remote after its deploy job. It is a plain ref, not a
# tag or a branch, so ordinary fetches and pulls never move or clobber it.
set -euo pipefail

# The six apps plus the EventProcessor worker: everything that has an image.
readonly DEPLOYABLES=(blog market cart events federation account worker)

usage() {
    cat >&2 <<'USAGE'
usage: scripts/changed-apps.sh --list
       scripts/changed-apps.sh BASE [HEAD]
       scripts/changed-apps.sh --since-deploy STACK [HEAD]
USAGE
    exit 2
}

print_all() {
    printf '%s\n' "${DEPLOYABLES[@]}"
}

# Print the deployables whose image is affected by the changed paths on stdin.
apps_for_paths() {
    local path app
    local -A hit=()
    while IFS= read -r path; do
        case "$path" in
            # Copied into every image (or, for docker-compose.yml, defines
            # how every service runs): all of them must be rebuilt.
            shared/* | docker-compose.yml | pyproject.toml | _config/* | .dockerignore)
                print_all
                return
                ;;
            # Copied into the web apps' images only (the worker has no assets).
            package.json | package-lock.json)
                for app in "${DEPLOYABLES[@]}"; do
                    [ "$app" = worker ] || hit[$app]=1
                done
                ;;
            # Only blog runs migrations, so only its image carries alembic.ini.
            alembic.ini)
                hit[blog]=1
                ;;
            */*)
                app="${path%%/*}"
                for known in "${DEPLOYABLES[@]}"; do
                    [ "$app" = "$known" ] && hit[$app]=1
                done
                ;;
        esac
    done
    for app in "${DEPLOYABLES[@]}"; do
        if [ -n "${hit[$app]:-}" ]; then
            echo "$app"
        fi
    done
}

changed_since() {
    local base="$1" head="$2"
    if [ -z "$base" ]; then
        echo "changed-apps: no previous deploy recorded: every app counts as changed" >&2
        print_all
        return
    fi
    if ! git rev-parse --quiet --verify "$base^{commit}" >/dev/null; then
        echo "changed-apps: '$base' is not a commit here: every app counts as changed" >&2
        print_all
        return
    fi
    local paths
    paths="$(git diff --name-only --no-renames "$base" "$head" --)"
    apps_for_paths <<<"$paths"
}

main() {
    [ $# -gt 0 ] || usage
    case "$1" in
        --list)
            [ $# -eq 1 ] || usage
            print_all
            ;;
        --since-deploy)
            [ $# -ge 2 ] && [ $# -le 3 ] || usage
            local base
            base="$(git rev-parse --quiet --verify "refs/deploy/$2^{commit}" || true)"
            changed_since "$base" "${3:-HEAD}"
            ;;
        -h | --help)
            usage
            ;;
        -*)
            echo "changed-apps: unknown option '$1'" >&2
            usage
            ;;
        *)
            [ $# -le 2 ] || usage
            changed_since "$1" "${2:-HEAD}"
            ;;
    esac
}

main "$@"
