from alembic import context

from marketcast import areas
from marketcast.core.db import Base, make_engine
from marketcast.core.migrate import process_revision_directives

areas.load()  # every table on Base.metadata

config = context.config


def run() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                          compare_type=True, process_revision_directives=process_revision_directives)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
