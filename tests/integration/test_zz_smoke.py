def test_smoke(env, cli, parties_file):
    r = cli("parties", "load", parties_file, "--json")
    print(repr(r))
    assert r.code == 0, r.err
    r = cli("declare", "--contract", "C-2026-001", "--org", "delta", "--kind", "leak", "--summary", "x", "--no-flow", "--json")
    assert r.code == 0, r.err
    print(r.json()["id"], env.backend)
