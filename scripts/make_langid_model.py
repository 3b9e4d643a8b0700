"""Write extractor/data/langid/fi_sv_en.npz: py3langid's model restricted to Finnish, Swedish and English.

py3langid ships its model (97 languages) LZMA-compressed: 68 MB unpacked, 0.6-1.3 s to read, paid by every
process whose notes hold a short one that no function word decides (language.py), which is most `extractor
deidentify` calls on a small file. Restricted to our three languages as `LanguageIdentifier.set_languages`
restricts it (the same columns of the per-feature table and the same priors), with its tokeniser unchanged,
the model is 40 MB unpacked and 2.3 MB deflated, read in about a quarter of the time. Run after py3langid
changes (`make lock`); tests/test_freetext_language_model.py fails until then, as it compares this model's
answers with py3langid's own on every note of the corpus and on generated text. Not run by the build.
"""

from __future__ import annotations

import hashlib
import lzma
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from py3langid.langid import MODEL_DIR, MODEL_FILE

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from extractor.freetext.language import LANGUAGES, MODEL  # noqa: E402


def main() -> None:
    source = MODEL_DIR / MODEL_FILE
    with lzma.open(source) as packed, np.load(packed, allow_pickle=False) as full:
        classes = full["classes"].tolist()
        keep = [i for i, c in enumerate(classes) if c in LANGUAGES]
        assert sorted(classes[i] for i in keep) == sorted(LANGUAGES), "py3langid lacks one of our languages"
        arrays = {"ptc": full["ptc"][:, keep], "pc": full["pc"][keep], "classes": full["classes"][keep],
                  "nextmove": full["nextmove"], "nextmove_row": full["nextmove_row"], "out_feat": full["out_feat"]}
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    provenance = f"py3langid {version('py3langid')} {MODEL_FILE} sha256 {digest}"
    MODEL.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(MODEL, provenance=np.array(provenance), **arrays)
    print(f"wrote {MODEL} ({MODEL.stat().st_size:,} bytes) from {provenance}")


if __name__ == "__main__":
    main()
