"""On-disk cache of the expensive part of building the index (tokenised documents and
their feature rows), so a restart with unchanged content starts fast.

The key hashes every text the index is built from and the matching code itself, plus the
versions of the stemming and stop-word libraries: any change rebuilds. Stored as JSON and
numpy arrays (never pickle); a broken or unreadable cache is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from bot.content.model import ContentLibrary
from bot.languages import Lang
from bot.matching.index import DocKind, Document, SparseRows

log = logging.getLogger(__name__)
FORMAT = 2


def cache_key(library: ContentLibrary) -> str:
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    for package in ("pystemmer", "stop-words"):
        try:
            digest.update(f"{package} {version(package)}".encode())
        except PackageNotFoundError:
            digest.update(package.encode())
    for topic_id in sorted(library.topics):
        for lang, tr in sorted(library.topics[topic_id].published().items()):
            digest.update(json.dumps([topic_id, lang.value, tr.title, tr.questions,
                                      tr.keywords], ensure_ascii=False).encode())
    for intent in library.smalltalk:
        for lang, phrases in sorted(intent.phrases.items()):
            digest.update(json.dumps([intent.name, lang.value, phrases],
                                     ensure_ascii=False).encode())
    for glossary in library.glossaries:
        digest.update(json.dumps([glossary.code, sorted(glossary.entries.items()),
                                  sorted(glossary.smalltalk.items())],
                                 ensure_ascii=False).encode())
    return digest.hexdigest()[:32]


def load(cache_dir: Path, key: str) -> tuple[list[Document], SparseRows] | None:
    meta_path, arrays_path = cache_dir / f"index-{key}.json", cache_dir / f"index-{key}.npz"
    if not (meta_path.is_file() and arrays_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(arrays_path, allow_pickle=False) as arrays:
            rows = SparseRows({name: i for i, name in enumerate(meta["features"])},
                              arrays["features"], arrays["docs"], arrays["weights"])
        docs = [Document(t, Lang(code) if kind != DocKind.GLOSSARY else None, DocKind(kind),
                         text, folded, variety=code if kind == DocKind.GLOSSARY else "")
                for t, code, kind, text, folded in meta["documents"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable index cache %s: %s", meta_path, exc)
        return None
    return docs, rows


def save(cache_dir: Path, key: str, docs: list[Document], rows: SparseRows) -> None:
    """Best effort: a read-only disk only costs start-up time, never a failure."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        names = sorted(rows.feature_ids, key=rows.feature_ids.__getitem__)
        meta = {"features": names,
                "documents": [[d.topic_id, d.code, d.kind.value, d.text, d.folded]
                              for d in docs]}
        for old in cache_dir.glob("index-*"):
            if key not in old.name:
                old.unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=cache_dir, suffix=".npz",
                                         delete=False) as tmp:
            np.savez(tmp, features=rows.features, docs=rows.docs, weights=rows.weights)
        os.replace(tmp.name, cache_dir / f"index-{key}.npz")
        meta_tmp = cache_dir / f".index-{key}.json.tmp"
        meta_tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(meta_tmp, cache_dir / f"index-{key}.json")
    except OSError as exc:
        log.warning("could not write the index cache to %s: %s", cache_dir, exc)
