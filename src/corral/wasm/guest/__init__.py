"""Guest-side driver programs, run inside the WebAssembly interpreters."""
