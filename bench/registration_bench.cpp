// Reading registration files (DESIGN.md §5: 100,000 rows imported, grouped and assigned in
// < 5 s; this is the reading part, the service benchmark covers the rest).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "common/base64.hpp"
#include "core/registration/hardware_hash.hpp"
#include "core/registration/registration_csv.hpp"

namespace groundcrew::bench {
namespace {

std::string RegistrationFile(int rows) {
  std::string csv =
      "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n";
  for (int i = 0; i < rows; ++i) {
    core::HardwareHashFields fields;
    fields.serial_number = fmt::format("SN{:08}", i);
    fields.manufacturer = "Contoso";
    fields.model = "Surface Laptop 5";
    fields.public_key[0] = static_cast<uint8_t>(i);
    fields.public_key[1] = static_cast<uint8_t>(i >> 8);
    fields.public_key[2] = static_cast<uint8_t>(i >> 16);
    csv += fmt::format("{},,{},Tag{},\r\n", fields.serial_number,
                       base64::Encode(core::EncodeHardwareHash(fields)), i % 900);
  }
  return csv;
}

void BM_ReadRegistrationCsv(benchmark::State& state) {
  const std::string csv = RegistrationFile(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto file = core::ReadRegistrationCsv(csv);
    if (!file.ok() || file.rows.size() != static_cast<size_t>(state.range(0))) std::abort();
    benchmark::DoNotOptimize(file);
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(state.range(0)),
                                                benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * csv.size()));
}
BENCHMARK(BM_ReadRegistrationCsv)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace groundcrew::bench
