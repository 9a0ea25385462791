/* An empty libcuda.so.1 for host tests: the loader's driver probe
 * (src/neural/device.c) only checks that the library can be opened. */
int tsf_fake_libcuda = 1;
