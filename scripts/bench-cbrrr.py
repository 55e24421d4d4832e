import sys, time, cbrrr
data = open(sys.argv[1], 'rb').read()
recs = []; i = 0
while i < len(data):
    n = 0; shift = 0
    while True:
        b = data[i]; i += 1; n |= (b & 0x7f) << shift; shift += 7
        if b < 0x80: break
    recs.append(data[i:i+n]); i += n
total = sum(map(len, recs))
objs = [cbrrr.decode_dag_cbor(r) for r in recs]
assert all(cbrrr.encode_dag_cbor(o) == r for o, r in zip(objs, recs)), "cbrrr round trip differs"
def run(label, f, it=20):
    f(); t = time.perf_counter()
    for _ in range(it): f()
    dt = time.perf_counter() - t
    print(f"{label:28s} {total*it/1e6/dt:9.1f} MB/s  {dt:8.3f} s")
run("cbrrr encode", lambda: [cbrrr.encode_dag_cbor(o) for o in objs])
run("cbrrr decode", lambda: [cbrrr.decode_dag_cbor(r) for r in recs])
