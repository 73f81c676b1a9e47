#!/usr/bin/env python3
"""Where a kernel spills: compiles a .cu with the NVRTC that PyTorch ships (as RuntimeKernel does: the defines given,
--gpu-architecture=sm_XX, plus -lineinfo), disassembles the CUBIN with nvdisasm (CUDA's, or the copy Triton ships) and
counts local-memory stores and loads (STL/LDL) by source line for one function. Run on the GPU box:
  python3 tools/device/kernel-spills.py src/StyleStudio.Training/Serving/decode_kernels.cu decode_step_bf16 -DNAME=1 …
"""
import ctypes, glob, os, re, shutil, subprocess, sys, collections

source_path, function, defines = sys.argv[1], sys.argv[2], sys.argv[3:]
import torch
major, minor = torch.cuda.get_device_capability()
arch = f"sm_{major}{minor}"

def find_nvrtc():
    import nvidia
    for base in nvidia.__path__:
        for path in glob.glob(os.path.join(base, "**", "libnvrtc.so*"), recursive=True):
            if "builtins" not in path: return path
    return "libnvrtc.so"

def find_tool(name):
    found = shutil.which(name)
    if found: return found
    for pattern in ["/usr/local/cuda*/bin/" + name]:
        for path in glob.glob(pattern): return path
    try:
        import triton
        for path in glob.glob(os.path.join(os.path.dirname(triton.__file__), "**", "bin", name), recursive=True): return path
    except ImportError:
        pass
    return None

nvrtc = ctypes.CDLL(find_nvrtc())
program = ctypes.c_void_p()
source = open(source_path, "rb").read()
name = os.path.basename(source_path).encode()
assert nvrtc.nvrtcCreateProgram(ctypes.byref(program), source, name, 0, None, None) == 0
options = [o.encode() for o in defines + [f"--gpu-architecture={arch}", "-lineinfo"]]
array = (ctypes.c_char_p * len(options))(*options)
result = nvrtc.nvrtcCompileProgram(program, len(options), array)
size = ctypes.c_size_t()
nvrtc.nvrtcGetProgramLogSize(program, ctypes.byref(size))
log = ctypes.create_string_buffer(size.value)
nvrtc.nvrtcGetProgramLog(program, log)
if result != 0:
    print(log.value.decode()); sys.exit(1)
nvrtc.nvrtcGetCUBINSize(program, ctypes.byref(size))
cubin = ctypes.create_string_buffer(size.value)
nvrtc.nvrtcGetCUBIN(program, cubin)
out = os.environ.get("OUT", "/tmp")
path = os.path.join(out, f"{function}.cubin")
open(path, "wb").write(cubin.raw)

cuobjdump = find_tool("cuobjdump")
if cuobjdump:
    usage = subprocess.run([cuobjdump, "-res-usage", path], capture_output=True, text=True).stdout.splitlines()
    for i, line in enumerate(usage):          # "Function NAME:" then its registers, stack (spills) and shared memory
        if line.strip() == f"Function {function}:" and i + 1 < len(usage): print(line.strip(), usage[i + 1].strip())
nvdisasm = find_tool("nvdisasm")
print("tools:", cuobjdump, nvdisasm, arch)
if not nvdisasm: sys.exit(0)
sass = None
for flags in (["-gi", "-c"], ["-g", "-c"]):
    sass = subprocess.run([nvdisasm, *flags, path], capture_output=True, text=True)
    if sass.returncode == 0: break
    print(flags, sass.stderr[:300])
text = sass.stdout
open(os.path.join(out, f"{function}.sass"), "w").write(text)
lines = source.decode().splitlines()
# nvdisasm -gi writes a group of "//## File …, line N [inlined at …]" comments before each run of instructions, the
# innermost place first: an instruction is counted at that line. Only the named function's section is read.
counts = collections.Counter()
current, in_group, in_function = None, False, False
for line in text.splitlines():
    if line.startswith("//----"):                # a section's header: "//---- .text.NAME ----"
        section = re.search(r"\.text\.(\S+)", line)
        in_function = section is not None and section.group(1) == function
        continue
    if line.lstrip().startswith("//##"):
        m = re.search(r"line (\d+)", line)
        if m and not in_group: current = int(m.group(1))
        in_group = True
        continue
    in_group = False
    if in_function and re.search(r"\b(STL|LDL)(\.\w+)*\b", line):
        counts[(current, "STL" if "STL" in line else "LDL")] += 1
print(f"local-memory instructions of {function} by source line (innermost):")
for (number, op), n in sorted(counts.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1])):
    text_line = lines[number - 1].strip()[:110] if number and number <= len(lines) else "?"
    print(f"{number}\t{op} x{n}\t{text_line}")
