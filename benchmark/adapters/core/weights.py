"""Where a registry model's weights come from: --checkpoint, the local weights folder, the Hub cache, a download."""

from __future__ import annotations

from pathlib import Path

from ...cache_home import WEIGHTS, cache_folder
from ...errors import WeightsNotFoundError
from ...offline import offline


def weights_dir() -> Path:
    """`$LONGBENCH_WEIGHTS`, else `weights/` under the cache home (cache_home.py)."""
    return cache_folder(WEIGHTS)


def local_weights(local_filename: str | None, hf_repo: str | None, hf_filename: str | None,
                  revision: str | None = None) -> Path | None:
    """The weights file if it is on this machine (weights folder first, then the Hugging Face cache, at `revision`
    where one is pinned)."""
    local = weights_dir() / local_filename if local_filename else None
    if local is not None and local.is_file():
        return local
    if hf_repo and hf_filename:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(hf_repo, hf_filename, revision=revision)
        if isinstance(cached, str) and Path(cached).is_file():
            return Path(cached)
    return None


def resolve_weights(name: str, local_filename: str, hf_repo: str | None, hf_filename: str | None,
                    revision: str | None = None) -> Path:
    """Local file, else a Hub download (at `revision` where one is pinned); with neither, say which file to fetch,
    from where, and where to put it. A repository whose file name is not recorded is never downloaded from."""
    found = local_weights(local_filename, hf_repo, hf_filename, revision)
    if found:
        return found
    target = weights_dir() / local_filename
    at = f" at commit {revision}" if revision else ""
    if hf_repo and hf_filename:
        how = f"download {hf_filename}{at} from https://huggingface.co/{hf_repo} and save it as {target}"
    elif hf_repo:
        how = f"download the checkpoint from https://huggingface.co/{hf_repo} and save it as {target}"
    else:
        how = f"put the weights file at {target}"
    fix = f"{how} (or pass --checkpoint FILE; LONGBENCH_WEIGHTS sets the folder)"
    if hf_repo and not hf_filename:
        raise WeightsNotFoundError(f"{name}: weights not found locally, and the file's name in the repository is "
                                   f"not recorded, so it is not downloaded: {fix}")
    if not hf_repo or offline():
        raise WeightsNotFoundError(f"{name}: weights not found locally and downloads are off: {fix}")
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(hf_repo, hf_filename, revision=revision))
    except Exception as exc:  # the Hub client raises many types (HTTP, connection, offline, auth) for one cause
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsNotFoundError(
            f"{name}: weights not found locally and the download failed ({reason}): {fix}"
        ) from None
