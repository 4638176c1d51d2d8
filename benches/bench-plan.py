#!/usr/bin/env python3
"""Prints a benchmark plan: COUNT tasks over the four task types, each
depending on the one before with `chain`, else independent.

    benches/bench-plan.py COUNT chain|independent > plan.json
"""
import json
import sys

count, chain = int(sys.argv[1]), sys.argv[2] == "chain"
types = ["analysis", "implementation", "test_creation", "validation"]
tasks = [{"id": f"t{i:04d}", "title": f"task {i}", "description": f"benchmark task {i}",
          "type": types[i % 4], "depends_on": [f"t{i-1:04d}"] if chain and i > 0 else []}
         for i in range(count)]
print(json.dumps({"tasks": tasks}))
