// Post-compromise tooling that accompanies miners: process hiders loaded
// through ld.so.preload and the Diamorphine rootkit. Written for hostaudit
// from the tools' public source; see docs/signatures.md.

rule Tool_LibProcessHider : rootkit preload
{
    meta:
        description = "libprocesshider: a readdir() hook that hides a process by name"
        source = "gianlucaborello/libprocesshider processhider.c (process_to_filter, get_dir_name, get_process_name)"
    strings:
        $s1 = "process_to_filter" ascii
        $s2 = "get_dir_name" ascii
        $s3 = "get_process_name" ascii
        $s4 = "/proc/self/fd/%d" ascii
        $s5 = "/proc/%s/stat" ascii
    condition:
        uint32(0) == 0x464c457f and $s1 and 2 of ($s2, $s3, $s4, $s5)
}

rule Tool_Diamorphine : rootkit lkm
{
    meta:
        description = "Diamorphine loadable kernel module rootkit (hides processes and files, signal-driven root)"
        source = "m0nad/Diamorphine diamorphine.c, diamorphine.h (MAGIC_PREFIX diamorphine_secret, hacked_getdents64, hacked_kill, give_root)"
    strings:
        $magic = "diamorphine_secret" ascii
        $f1 = "hacked_getdents64" ascii
        $f2 = "hacked_kill" ascii
        $f3 = "give_root" ascii
        $f4 = "module_hide" ascii
    condition:
        $magic or 3 of ($f*)
}
