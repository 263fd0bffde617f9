#!/usr/bin/env bash
# Build, push and roll out Rose Ash images to the Docker Swarm stack.
#
#   ./deploy.sh blog              one app
#   ./deploy.sh blog market       several
#   ./deploy.sh --all             every app and the worker, through `docker stack deploy`
#   ./deploy.sh                   whatever changed since the last deploy (git)
#   ./deploy.sh --dry-run ...     print what would run, run nothing
#
# Options for CI, which builds on its runner and rolls out on the Swarm host:
#   --no-deploy   build and push only
#   --no-build    roll out images already pushed (TAG must name them)
#
# Environment: STACK (default rose-ash), TAG (default: the first 12 hex digits
# of HEAD, so an image always names the commit it was built from).
# Needs bash 4.4 or later (on macOS, Homebrew's bash) and the docker client.
#
# What "changed" means lives in scripts/changed-apps.sh, shared with CI. The
# last deploy is the git ref refs/deploy/$STACK: moved to HEAD after a
# successful deploy that covered every pending change (no app named, or
# --all), left alone when you name apps, so the changes you did not ship are
# still picked up by the next plain ./deploy.sh.
#
# Order: every build, then every push, then the rollout. A failure stops the
# run at once, so a broken build never leaves a half-pushed, half-updated stack.
set -euo pipefail

readonly REGISTRY="registry.rose-ash.com:5000"
STACK="${STACK:-rose-ash}"

# Paths below are relative to the repository root (or, on the Swarm host, the
# folder holding docker-compose.yml, .env and this script).
cd "$(dirname "$0")"

say() { echo "deploy.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

usage() {
    cat >&2 <<'USAGE'
usage: ./deploy.sh [--dry-run] [--no-build | --no-deploy] [--all | APP...]
  APP is one of the names printed by scripts/changed-apps.sh --list;
  with no APP and no --all, deploys the apps changed since the last deploy.
USAGE
    exit 2
}

dry_run=false
build=true
rollout=true
all=false
requested=()

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry_run=true ;;
        --no-build) build=false ;;
        --no-deploy) rollout=false ;;
        --all) all=true ;;
        -h | --help) usage ;;
        -*)
            say "unknown option '$1'"
            usage
            ;;
        *) requested+=("$1") ;;
    esac
    shift
done

if ! $build && ! $rollout; then
    say "--no-build and --no-deploy together leave nothing to do"
    usage
fi
if $all && [ ${#requested[@]} -gt 0 ]; then
    say "name apps or give --all, not both"
    usage
fi

# The deployables and what changed come from scripts/changed-apps.sh, the one
# rule CI uses too. Command substitution, not `< <(...)`, so its failure stops us.
listed="$(scripts/changed-apps.sh --list)" || die "scripts/changed-apps.sh --list failed"
mapfile -t known <<<"$listed"

# Run a step, or only print it under --dry-run. On failure, stop with a line
# that says which step failed and that nothing after it ran.
step() {
    local what="$1"
    shift
    if $dry_run; then
        echo "would run: $*"
        return
    fi
    echo "+ $*" >&2
    local rc=0
    "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
        die "$what failed (exit $rc); stopping here, nothing after it was run"
    fi
}

in_git_repo() { git rev-parse --is-inside-work-tree >/dev/null 2>&1; }

# Decide which apps this run ships, in the canonical order of --list.
select_apps() {
    local name app selected=()
    if $all; then
        selected=("${known[@]}")
    elif [ ${#requested[@]} -gt 0 ]; then
        for name in "${requested[@]}"; do
            case " ${known[*]} " in
                *" $name "*) ;;
                *) die "unknown app '$name' (known: ${known[*]})" ;;
            esac
        done
        for app in "${known[@]}"; do
            case " ${requested[*]} " in *" $app "*) selected+=("$app") ;; esac
        done
    else
        in_git_repo || die "no app named and not in a git checkout: cannot tell what changed"
        local detected
        detected="$(scripts/changed-apps.sh --since-deploy "$STACK" HEAD)" ||
            die "could not tell what changed since the last deploy (see above)"
        if [ -n "$detected" ]; then
            mapfile -t selected <<<"$detected"
        fi
    fi
    apps=("${selected[@]}")
}

apps=()
select_apps
if [ ${#apps[@]} -eq 0 ]; then
    say "nothing changed since the last deploy of '$STACK'; nothing to do"
    exit 0
fi

if [ -z "${TAG:-}" ]; then
    in_git_repo || die "TAG is not set and this is not a git checkout: set TAG to the image tag"
    TAG="$(git rev-parse HEAD | cut -c1-12)"
fi
export TAG

# Images are tagged with the commit, so building from an edited tree would
# ship code no commit describes.
if $build && in_git_repo && ! git diff --quiet HEAD --; then
    if $dry_run; then
        say "warning: uncommitted changes; a real run would refuse to build"
    else
        die "uncommitted changes: commit or stash them first (images are tagged with the commit)"
    fi
fi

every_app=false
[ ${#apps[@]} -eq ${#known[@]} ] && every_app=true

# A whole-stack rollout reads env_file on this side (the docker client), so a
# missing .env must stop the run now, not after minutes of building.
if $rollout && $every_app && [ ! -f .env ] && ! $dry_run; then
    die ".env not found next to docker-compose.yml: copy .env.example to .env and fill it in"
fi

say "stack '$STACK', tag '$TAG', apps: ${apps[*]}"

image() { echo "$REGISTRY/$1:$TAG"; }

if $build; then
    for app in "${apps[@]}"; do
        step "building $app" docker build --pull -f "$app/Dockerfile" -t "$(image "$app")" .
    done
    for app in "${apps[@]}"; do
        step "pushing $app" docker push "$(image "$app")"
    done
fi

if ! $rollout; then
    say "built and pushed; rollout skipped (--no-deploy)"
    exit 0
fi

if $every_app; then
    # The whole stack, so changes to docker-compose.yml itself roll out too.
    step "deploying stack $STACK" docker stack deploy --detach=false --with-registry-auth \
        -c docker-compose.yml "$STACK"
else
    for app in "${apps[@]}"; do
        step "updating service ${STACK}_$app" \
            docker service update --detach=false --with-registry-auth \
            --image "$(image "$app")" "${STACK}_$app"
    done
fi

# Remember this deploy only when it shipped every pending change: a run that
# names some apps leaves the others' changes pending for the next plain run.
if $dry_run; then
    exit 0
elif [ ${#requested[@]} -eq 0 ] && in_git_repo; then
    git update-ref -m "deploy.sh: deployed ${apps[*]}" "refs/deploy/$STACK" HEAD
    say "done; recorded $(git rev-parse --short HEAD) as the last deploy (refs/deploy/$STACK)"
else
    say "done"
fi
