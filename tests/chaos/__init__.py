"""Chaos test support: the damage real clerks do to hand-typed Excel files, each with its fate.

`mutations.CATALOGUE` lists the mutations; `sample.Sample` picks their targets in a copied landing
tree; `checks` holds what each mutation asserts through the warehouse. See README.md.
"""
