"""Case services: register, screen, journeys, assistance, return, transfer, closure, erasure, users.

Every service function takes ``(session, actor, ...)``, checks the actor's access
(`access`), and writes the hash-chained audit entry of its read or write. Run them
inside `tx.transaction()`, which also audits refused accesses after a rollback::

    from ctdata.cases import service
    from ctdata.cases.access import Actor
    from ctdata.cases.tx import transaction

    with transaction(engine) as s:          # engine: tx.store_engine(url) or None for the default
        case = service.register_case(s, actor, {"given_name": "A", ...},
                                     {"office_country": "TH", "registration_date": "2024-03-01"})
        view = service.get_case(s, actor, case.id)   # dict, identifying fields only for allowed roles

Modules: service (register, get, list/search, update), screening, exploitation,
journeys, assistance, perpetrators, returns (AVRR gates), transfer (consents, transfers),
closure, erasure, users (accounts, login, sessions), agencies (the agency registry),
access (roles), views.
"""

__all__ = ["access", "assistance", "closure", "common", "erasure", "exploitation", "journeys", "perpetrators",
           "refusals", "returns", "screening", "service", "transfer", "tx", "users", "views"]
