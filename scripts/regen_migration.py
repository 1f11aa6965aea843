"""Until the first release, the schema is one initial migration, regenerated from the models.

Run `make migration` after changing any model."""

import tempfile
from pathlib import Path

from alembic import command

from marketcast.core.migrate import MIGRATIONS, alembic_config

target = MIGRATIONS / "versions" / "0001_initial.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{Path(tmp) / 'empty.db'}")
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
generated = next((MIGRATIONS / "versions").glob("0001_*.py"))
if generated != target:
    generated.rename(target)
print(f"wrote {target.relative_to(MIGRATIONS.parent)}")
