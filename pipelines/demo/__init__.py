"""Sample-data generator (`edustat demo-data`): a deterministic in-memory world of TVET colleges,
written as landing files (NOBD submissions, passports, CIS exports) with defects injected at known
rates, and a manifest holding the ground truth computed in Python from that world.

Entry point: `pipelines.demo.generate.generate(out_dir, options)`.
"""
