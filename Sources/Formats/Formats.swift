// Formats: readers and writers for what researchers have (torch zip+pickle, safetensors, npy/npz,
// Model Zoos folders). See docs/ARCHITECTURE.md.
import ZooStore
