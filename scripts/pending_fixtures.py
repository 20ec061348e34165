#!/usr/bin/env python3
"""Score fixtures-pending/ (or another fixture folder) against a numgil binary: expected findings hit,
missed and unexpected, per fixture. Usage: scripts/pending_fixtures.py NUMGIL [FOLDER]"""
import os,re,subprocess,json,sys
root=sys.argv[2] if len(sys.argv)>2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures-pending')
bin=sys.argv[1] if len(sys.argv)>1 else 'target/debug/numgil'
tot_exp=tot_hit=tot_fp=0
rows=[]
for code in sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))):
    for name in sorted(os.listdir(os.path.join(root,code))):
        p=os.path.join(root,code,name)
        files=[]
        if os.path.isdir(p):
            for dp,_,fs in os.walk(p):
                files+= [os.path.join(dp,f) for f in fs if f.endswith('.py')]
        elif p.endswith('.py'): files=[p]
        else: continue
        exp=set(); scope=[]
        for f in files:
            for i,l in enumerate(open(f),1):
                if '# fixture: --scope everywhere' in l: scope=['--scope','everywhere']
                m=re.search(r'# expect:(.*)',l)
                if m:
                    for item in re.split(r',\s*(?![^()]*\))', m.group(1).split('#')[0]):
                        item=item.strip()
                        if item: exp.add((os.path.abspath(f),i,item.split('(')[0].strip()))
        out=subprocess.run([bin,'check','--output-format','json',*scope,p],capture_output=True,text=True,timeout=60).stdout
        got=set()
        try:
            for d in json.loads(out):
                if d['code'] in ('NG001','NG002'): continue
                got.add((os.path.abspath(d['filename']),d['location']['row'],d['code']))
        except Exception as e:
            print('ERR',p,e); continue
        miss=exp-got; extra=got-exp
        tot_exp+=len(exp); tot_hit+=len(exp&got); tot_fp+=len(extra)
        if miss or extra:
            rows.append(f"{code}/{name}: miss {len(miss)}/{len(exp)} extra {len(extra)} "+ ' '.join(f"{os.path.basename(a)}:{b}:{c}" for a,b,c in sorted(miss))[:200] + (" EXTRA "+' '.join(f"{os.path.basename(a)}:{b}:{c}" for a,b,c in sorted(extra))[:200] if extra else ''))
print('\n'.join(rows))
print(f"expected {tot_exp} hit {tot_hit} extra {tot_fp}")
