"""Local fakes of the outside world for tests and benchmarks, served over real HTTP on loopback."""
