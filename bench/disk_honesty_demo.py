"""Where `docker system df` and dockopt disagree, on objects made for the purpose (and removed).

Run by hand: `eval "$(bash scripts/testenv.sh env)"; .venv/bin/python bench/disk_honesty_demo.py`.
Scenario: a 3 MB base layer shared by an image in use (a container) and an unused one; two unused
"twin" images with identical layers (different labels). Prints the engine's per-image unique
bytes, the engine's image-reclaimable formula restricted to these images, dockopt's plan, and what
the engine then actually freed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from engine_objects import EngineObjects, random_layer  # noqa: E402

from dockopt.engine.client import connect  # noqa: E402
from dockopt.engine.usage import engine_df  # noqa: E402


def main() -> None:
    client = connect()
    objs = EngineObjects(client)
    try:
        base = random_layer(3_000_000, "base.bin")
        twin = random_layer(1_000_000, "twin.bin")
        used = objs.image([base, random_layer(500_000)], [objs.repo("used") + ":1"])
        unused = objs.image([base, random_layer(700_000)], [objs.repo("unused") + ":1"])
        t1 = objs.image([base, twin], [objs.repo("twin") + ":1"], labels={"twin": "1"})
        t2 = objs.image([base, twin], [objs.repo("twin") + ":2"], labels={"twin": "2"})
        objs.container(used)
        names = {used: "used", unused: "unused", t1: "twin1", t2: "twin2"}
        df = {i["Id"]: i for i in engine_df(client)["Images"] if i["Id"] in names}
        print("engine (docker system df -v): image, size, shared, unique, containers")
        for image_id, name in names.items():
            i = df[image_id]
            print(f"  {name:7s} {i['Size']:>9d} {i['SharedSize']:>9d} {i['Size'] - i['SharedSize']:>9d} {i['Containers']}")
        base_size = df[used]["SharedSize"]  # the only layer `used` shares
        distinct = df[used]["Size"] + (df[unused]["Size"] - base_size) + (df[t1]["Size"] - base_size)
        layers = {c for image_id in names for c in client.api.inspect_image(image_id)["RootFS"]["Layers"]}
        assert len(layers) == 4
        used_unique = df[used]["Size"] - df[used]["SharedSize"]
        print(f"engine formula, these images: reclaimable = layers {distinct} - unique of in-use {used_unique}"
              f" = {distinct - used_unique}")
        print(f"engine per-image view of the unused ones: sum of unique = "
              f"{sum(df[i]['Size'] - df[i]['SharedSize'] for i in (unused, t1, t2))}")
        out = subprocess.run([sys.executable, "-m", "dockopt", "prune", "--images", "--filter", objs.run_filter,
                              "--format", "json", "--yes"], capture_output=True, text=True, check=True)
        report = json.loads(out.stdout)
        print(f"dockopt plan: predicted {report['predicted_bytes']}; engine replies freed "
              f"{report['result']['freed_bytes']}; engine df before-after {report['result']['engine_freed_bytes']}")
    finally:
        objs.cleanup()


if __name__ == "__main__":
    main()
