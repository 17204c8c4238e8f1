"""Which PostgreSQL errors are about a statement's rows, and which about the database's state.

Ingest waits out the second kind for as long as it takes (a restart, a read-only or full
database, a revoked privilege an operator will restore); the first kind would fail again however
long it waited, so the row is set aside instead.
"""

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from tart.db.connect import DatabaseUnavailable

# What a failed database call raises: an error PostgreSQL or psycopg2 reported, or no connection.
DATABASE_ERRORS = (psycopg2.Error, DatabaseUnavailable)

# Errors of the database's state or setup, not of a statement's rows, though reported as
# "programming errors".
_SETUP_ERRORS = (
    psycopg2.errors.InsufficientPrivilege,
    psycopg2.errors.UndefinedTable,
    psycopg2.errors.UndefinedColumn,
    psycopg2.errors.UndefinedFunction,
    psycopg2.errors.UndefinedObject,
    psycopg2.errors.InvalidSchemaName,
)


def is_row_error(error: BaseException) -> bool:
    """Whether `error` is about what a statement holds, so that trying again would fail again.

    Errors of TART's own code while building a statement count as row errors: they come from
    the rows too, and retrying for ever would stop ingest."""
    if isinstance(error, psycopg2.extensions.TransactionRollbackError):
        return False  # a deadlock or serialization failure: try again
    if isinstance(error, (psycopg2.DataError, psycopg2.IntegrityError)):
        return True
    if isinstance(error, psycopg2.ProgrammingError):
        return not isinstance(error, _SETUP_ERRORS)
    if isinstance(error, psycopg2.OperationalError):
        return (error.pgcode or "").startswith("54")  # program limit exceeded: too big
    # psycopg2's other errors (InternalError: read-only; InterfaceError: connection closed) and
    # a database that cannot be reached are the database's state.
    return not isinstance(error, DATABASE_ERRORS)
