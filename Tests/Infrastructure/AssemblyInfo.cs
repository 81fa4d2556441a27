// The accelerators are opened once and shared by every test (TestDevices), and kernel launches on
// one ILGPU accelerator are not meant to be issued from several threads at once. The machines the
// suite runs on have two cores, so running test classes one after another costs little.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
