"""The in-kernel model module (kmod/, mllb.ko): its raw-input layout, build, and guest use."""
