"""Power control of lab hosts: on, off, cycle, status. IPMI (ipmitool) for bare metal, QMP
for QEMU labs. The safe-boot path power-cycles a host that hangs in a test kernel."""
