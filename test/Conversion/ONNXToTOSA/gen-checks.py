#!/usr/bin/env python3
"""Regenerates the CHECK lines of a --bitmod-onnx-to-tosa lit file.

Usage: gen-checks.py BITMOD_OPT FILE.mlir

FILE.mlir holds reader-form functions (and `// -----` separators) after a
header of comment lines; every `// CHECK` line in it is dropped and new
ones are written before each function from the pass output, with SSA names
captured as FileCheck variables. Review the diff before committing.
"""
import re
import subprocess
import sys

opt, path = sys.argv[1], sys.argv[2]
src = [l for l in open(path).read().split('\n')
       if not re.match(r'\s*// CHECK', l)]
text = '\n'.join(src)
out = subprocess.run([opt, '--split-input-file', '--bitmod-onnx-to-tosa',
                      '-'], input=text, capture_output=True, text=True,
                     check=True).stdout

checks = {}
signatures = {}
name = None
body = []
for line in out.split('\n'):
    m = re.match(r'\s*func\.func @([\w.]+)\(', line)
    if m:
        name, body = m.group(1), []
        signatures[name] = line.strip().rstrip('{').strip()
        continue
    if name is None:
        continue
    if re.match(r'^  }$', line):
        checks[name] = body
        name = None
        continue
    body.append(line.strip())


def to_check(fn, lines):
    defined = {}
    res = ['// CHECK-LABEL: ' + signatures[fn]]
    for l in lines:
        l = l.replace('[[', '\x00').replace('{{', '\x01')
        is_def = re.match(r'^(%[\w\-]+)(:\d+)? = ', l) or l.startswith('^bb')

        def sub(m):
            tok = m.group(1)
            if tok.startswith('arg'):
                return m.group(0)
            var = 'V%d' % (len(defined)) if tok not in defined else defined[tok]
            if tok not in defined:
                defined[tok] = var
                if is_def:
                    return '%[[' + var + ':.*]]'
            return '%[[' + var + ']]'
        # Definitions: leading results and block arguments.
        l = re.sub(r'%([A-Za-z_][\w\-]*|\d+)', sub, l)
        l = l.replace('\x00', '{{\\[\\[}}').replace('\x01', '{{\\{\\{}}')
        res.append('// CHECK-NEXT: ' + l if len(res) > 1 else '// CHECK: ' + l)
    return res


result = []
for line in src:
    m = re.match(r'\s*func\.func @([\w.]+)\(', line)
    if m and m.group(1) in checks:
        result += to_check(m.group(1), checks[m.group(1)])
    result.append(line)
open(path, 'w').write('\n'.join(result))
