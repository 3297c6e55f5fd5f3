#!/usr/bin/env bash
# Builds every container service of the catalog with deploy/docker/Dockerfile and pushes it to its ECR repository
# (shopfront/<service>, created by the Data stack) in the environment's region.
#
#   scripts/build-images.sh <environment> [tag]      e.g. scripts/build-images.sh dev
#
# Needs: docker with buildx, the AWS CLI with credentials for the target account, git. The tag defaults to the
# commit (ECR tags are immutable, so a tag that exists already is skipped, never overwritten; `latest` is refused).
# The base image is resolved from its tag to a digest once, so every service of one build runs on the same bytes.
# Afterwards, deploy the environment's Cluster stack with that tag (`-c shopfront:imageTag=<tag>`): its root
# Application points the manifests at these images and Argo CD rolls them out. No file changes.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=node:24-bookworm-slim
PLATFORM=linux/amd64 # the node group's AMI type, AL2023_X86_64_STANDARD

usage() {
  echo "usage: $0 <environment> [tag]" >&2
  exit 2
}

environment="${1:-}"
[[ -n "$environment" ]] || usage
if [[ -n "${2:-}" ]]; then
  tag="$2"
else
  tag="git-$(git rev-parse --short=12 HEAD)"
  if [[ -n "$(git status --porcelain)" ]]; then
    echo "the work tree has uncommitted changes: commit them or pass a tag explicitly" >&2
    exit 1
  fi
fi
if [[ "$tag" == latest || ! "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "tag must be an immutable image tag (not 'latest'), got '$tag'" >&2
  exit 1
fi

for tool in docker aws git npx; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
docker buildx version >/dev/null

mapfile -t targets < <(npx tsx charts-ts/tools/image-targets.ts "$environment")
region="${targets[0]}"
configured_account="${targets[1]}"
repositories=("${targets[@]:2}")

account="$(aws sts get-caller-identity --query Account --output text)"
registry="$account.dkr.ecr.$region.amazonaws.com"
if [[ -n "$configured_account" && "$configured_account" != "$account" ]]; then
  echo "note: lib/platform/deployment.ts names account $configured_account for $environment; these go to $account" >&2
fi

aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"

digest="$(docker buildx imagetools inspect "$BASE_IMAGE" --format '{{ .Manifest.Digest }}')"
[[ "$digest" == sha256:* ]] || { echo "could not resolve $BASE_IMAGE to a digest, got '$digest'" >&2; exit 1; }
echo "base image: $BASE_IMAGE@$digest"

for repository in "${repositories[@]}"; do
  service="${repository##*/}"
  if aws ecr describe-images --region "$region" --repository-name "$repository" \
    --image-ids "imageTag=$tag" >/dev/null 2>&1; then
    echo "$repository:$tag exists already (tags are immutable): skipped"
    continue
  fi
  echo "building $repository:$tag"
  docker buildx build \
    --platform "$PLATFORM" \
    --file deploy/docker/Dockerfile \
    --build-arg "SERVICE=$service" \
    --build-arg "NODE_IMAGE=$BASE_IMAGE@$digest" \
    --label "org.opencontainers.image.revision=$(git rev-parse HEAD)" \
    --label "org.opencontainers.image.base.name=$BASE_IMAGE@$digest" \
    --provenance=true \
    --sbom=true \
    --tag "$registry/$repository:$tag" \
    --push \
    .
done

echo
echo "pushed ${#repositories[@]} images with tag $tag to $registry"
echo "next: npx cdk deploy -c shopfront:environments=$environment -c shopfront:imageTag=$tag 'Shopfront-*-Cluster'"
