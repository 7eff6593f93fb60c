"""The classification stage of the import pipeline: is a valid row new, changed, present or conflicting?

One rule for every table. A row has a key (its identity: a record's source and
record id, a journey leg's case and leg number, an assistance or return row's
case and content) and a digest of its content. Against the store it is *new*
(no row with its key), *already present* (a row with its key and the same
digest: byte- or field-identical; a stored digest of the former definition, made
before the digest read columns by name, is the same digest when it equals the
row's digest under that definition: ``prepare.file_order_hashes``), or *changed*
(a row with its key and another digest). Against the rows before it in the same import it is *conflicting* when
an earlier row had the same key (the first one wins; the later one is
quarantined with the first one's row number).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

NEW, CHANGED, PRESENT, CONFLICT = "new", "changed", "present", "conflict"

#: a row's verdict: (category, the stored row's id for changed/present, the first row's number for conflicts)
Verdict = tuple[str, int | None]


def classify(
    keys: Sequence[Hashable],
    digests: Sequence[str],
    numbers: Sequence[int],
    existing: Mapping[Hashable, tuple[int, str | None]],
    seen: dict[Hashable, int],
    former: Sequence[str] | None = None,
) -> list[Verdict] | None:
    """Each row's verdict, or None when every row is new (the common case, decided with set operations).

    ``existing`` maps the keys found in the store to (id, digest); ``seen`` maps the keys of this
    import's earlier rows to their row numbers, and is updated. ``former`` gives the rows' digests under
    the former definition, for stored rows that still hold one."""
    if not existing and len(set(keys)) == len(keys) and seen.keys().isdisjoint(keys):
        seen.update(zip(keys, numbers, strict=True))
        return None
    out: list[Verdict] = []
    for k, (key, digest, number) in enumerate(zip(keys, digests, numbers, strict=True)):
        first = seen.get(key)
        if first is not None:
            out.append((CONFLICT, first))
            continue
        seen[key] = number
        hit = existing.get(key)
        if hit is None:
            out.append((NEW, None))
        elif hit[1] == digest or (former is not None and hit[1] == former[k]):
            out.append((PRESENT, hit[0]))
        else:
            out.append((CHANGED, hit[0]))
    return out
