"""Where a project keeps its parts, and where a build writes.

The default project is the current directory when it holds ``ontology/``, else the source tree
this package was installed from (an editable install), so that ``kg`` works from anywhere in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kg.problems import UsageError


@dataclass(frozen=True)
class Layout:
    """Paths of one project: its inputs and its build output."""

    root: Path
    data: Path
    out: Path

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @classmethod
    def find(cls, data: str | None = None, out: str | None = None) -> Layout:
        """Locate the project; ``data`` and ``out`` override its data folder and output folder."""
        root = _project_root()
        data_dir = Path(data).resolve() if data else root / "data"
        out_dir = Path(out).absolute() if out else root / "dist"
        if not data_dir.is_dir():
            raise UsageError(f"data folder {data_dir} does not exist")
        return cls(root=root, data=data_dir, out=out_dir)


def _project_root() -> Path:
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "ontology").is_dir() and (candidate / "queries").is_dir():
            return candidate
    installed = Path(__file__).resolve().parent.parent
    if (installed / "ontology").is_dir():
        return installed
    raise UsageError(
        "no aigeo project here: no folder with ontology/ and queries/ above the current directory"
    )
