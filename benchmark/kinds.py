"""Task kind names that code outside the kind's own modules refers to. Pure Python: the report layer reads them."""

#: Image-caption selection (SugarCrepe, SugarCrepe++, Winoground, ARO, `pairs:` files): datasets.SelectionDataset,
#: evaluators/selection.py, metrics/selection.py.
SELECTION = "selection"
#: The counts every selection result carries (`task.counts`): items evaluated, and exact score ties among them.
ITEMS, TIES = "items", "exact_ties"
