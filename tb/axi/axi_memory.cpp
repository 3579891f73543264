#include "axi_memory.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

namespace npu::tb::axi {

namespace {
constexpr std::uint64_t kPage = 4096;
}

AxiMemory::AxiMemory(AxiPort port, AxiMemoryConfig cfg)
    : port_(std::move(port)), cfg_(cfg), rng_(cfg.seed) {
  out_.rdata.assign(port_.bus_bytes, 0);
  set_config(cfg);
}

void AxiMemory::set_config(const AxiMemoryConfig& cfg) {
  if (cfg.read_latency < 1 || cfg.write_latency < 1 || cfg.beat_interval < 1)
    throw std::invalid_argument("AxiMemory: latencies and beat_interval must be >= 1");
  cfg_ = cfg;
  rng_.seed(cfg.seed);
}

bool AxiMemory::stall() {
  if (cfg_.stall_prob <= 0.0) return false;
  return std::bernoulli_distribution(cfg_.stall_prob)(rng_);
}

void AxiMemory::add_error_range(std::uint64_t lo, std::uint64_t hi, Resp resp) {
  errors_.push_back({lo, hi, resp});
}

void AxiMemory::kill_reads_at(std::uint64_t lo, std::uint64_t hi) { rd_kill_ = Range{lo, hi}; }

void AxiMemory::kill_writes_at(std::uint64_t lo, std::uint64_t hi, bool keep_w) {
  wr_kill_ = Range{lo, hi};
  keep_w_ = keep_w;
}

void AxiMemory::corrupt_reads(std::uint64_t lo, std::uint64_t hi, RCorrupt what) {
  rcorrupt_.push_back({Range{lo, hi}, what});
}

void AxiMemory::corrupt_bids(std::uint64_t lo, std::uint64_t hi) { bcorrupt_.push_back(Range{lo, hi}); }
void AxiMemory::early_bresps(std::uint64_t lo, std::uint64_t hi) { bearly_.push_back(Range{lo, hi}); }

void AxiMemory::clear_faults() {
  errors_.clear();
  rd_kill_.reset();
  wr_kill_.reset();
  rcorrupt_.clear();
  bcorrupt_.clear();
  bearly_.clear();
}

unsigned AxiMemory::resp_for(std::uint64_t addr, unsigned nbytes) const {
  unsigned r = 0;
  for (const auto& e : errors_)
    if (addr < e.hi && addr + nbytes > e.lo) r = std::max(r, static_cast<unsigned>(e.resp));
  return r;
}

std::uint64_t AxiMemory::beat_addr(const Burst& b) const {
  const std::uint64_t bytes = std::uint64_t{1} << b.size;
  return (b.addr & ~(bytes - 1)) + std::uint64_t{b.beat} * bytes;
}

std::uint8_t AxiMemory::byte(std::uint64_t addr) const {
  auto it = pages_.find(addr / kPage);
  return it == pages_.end() ? 0 : it->second[addr % kPage];
}

void AxiMemory::set_byte(std::uint64_t addr, std::uint8_t v) {
  auto& p = pages_[addr / kPage];
  if (p.empty()) p.assign(kPage, 0);
  p[addr % kPage] = v;
}

void AxiMemory::write_bytes(std::uint64_t addr, const std::vector<std::uint8_t>& data) {
  for (std::size_t i = 0; i < data.size(); ++i) set_byte(addr + i, data[i]);
}

std::vector<std::uint8_t> AxiMemory::read_bytes(std::uint64_t addr, std::size_t n) const {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = byte(addr + i);
  return v;
}

void AxiMemory::fill(std::uint64_t addr, std::size_t n, std::uint8_t value) {
  for (std::size_t i = 0; i < n; ++i) set_byte(addr + i, value);
}

void AxiMemory::fill_random(std::uint64_t addr, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 r(seed);
  for (std::size_t i = 0; i < n; ++i) set_byte(addr + i, static_cast<std::uint8_t>(r()));
}

void AxiMemory::reset() {
  rd_q_.clear();
  aw_q_.clear();
  b_q_.clear();
  b_is_early_ = false;
  r_cur_.reset();
  out_ = SlaveSignals{};
  in_ = MasterSignals{};
}

bool AxiMemory::idle() const {
  return rd_q_.empty() && aw_q_.empty() && b_q_.empty() && !out_.rvalid && !out_.bvalid;
}

std::optional<std::size_t> AxiMemory::pick(const std::deque<Burst>& q, std::uint64_t cycle) {
  std::vector<std::size_t> cand;
  std::set<std::uint32_t> seen;
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (!seen.insert(q[i].id).second) continue;  // not the oldest of its ID
    if (q[i].ready_cycle <= cycle) cand.push_back(i);
    if (!cfg_.reorder) break;  // strictly in order
  }
  if (cand.empty()) return std::nullopt;
  if (!cfg_.reorder || cand.size() == 1) return cand.front();
  return cand[std::uniform_int_distribution<std::size_t>(0, cand.size() - 1)(rng_)];
}

void AxiMemory::drive() { port_.drive_slave(out_); }

void AxiMemory::step() {
  port_.sample_master(in_);
  const unsigned bb = port_.bus_bytes;

  // ---- handshakes of this cycle ----
  if (out_.arready && in_.arvalid) {
    Burst b;
    b.id = in_.arid; b.addr = in_.araddr; b.len = in_.arlen; b.size = in_.arsize;
    b.ready_cycle = now_ + cfg_.read_latency;
    rd_q_.push_back(b);
    ++stats_.ar;
    if (rd_kill_ && rd_kill_->overlaps(b.addr, std::uint64_t{b.len + 1} << b.size)) rd_dead_ = true;
  }
  if (out_.rvalid && in_.rready) {
    Burst& b = rd_q_.at(*r_cur_);
    ++b.beat;
    ++stats_.r_beats;
    out_.rvalid = false;
    next_r_cycle_ = now_ + cfg_.beat_interval;
    if (b.beat > b.len) {
      rd_q_.erase(rd_q_.begin() + static_cast<std::ptrdiff_t>(*r_cur_));
      r_cur_.reset();
    }
  }
  if (out_.awready && in_.awvalid) {
    Burst b;
    b.id = in_.awid; b.addr = in_.awaddr; b.len = in_.awlen; b.size = in_.awsize;
    b.ready_cycle = now_ + cfg_.write_latency;
    for (const auto& c : bearly_)
      if (c.overlaps(b.addr, 1)) b.early_b = true;
    aw_q_.push_back(b);
    ++stats_.aw;
    if (wr_kill_ && wr_kill_->overlaps(b.addr, std::uint64_t{b.len + 1} << b.size)) wr_dead_ = true;
  }
  if (out_.wready && in_.wvalid) {
    const auto wit = next_w_burst();
    Burst& b = *wit;
    const std::uint64_t a = beat_addr(b);
    const unsigned bytes = 1u << b.size;
    const unsigned resp = resp_for(a, bytes);
    b.resp = std::max(b.resp, resp);
    if (resp < 2) {
      // Byte lanes of this beat on the bus: address modulo bus width.
      const unsigned lane0 = static_cast<unsigned>(a % bb);
      for (unsigned i = 0; i < bytes; ++i)
        if (in_.wstrb.at(lane0 + i)) set_byte(a + i, in_.wdata.at(lane0 + i));
    }
    ++b.beat;
    ++stats_.w_beats;
    next_w_cycle_ = now_ + cfg_.beat_interval;
    if (b.beat > b.len) {
      b.ready_cycle = std::max(b.ready_cycle, now_ + 1);
      if (!b.early_b) b_q_.push_back(b);  // an early B has been (or is being) given already
      if (!b.early_b || b.b_sent) aw_q_.erase(wit);
    }
  }
  if (out_.bvalid && in_.bready) {
    if (b_is_early_) {
      auto it = std::find_if(aw_q_.begin(), aw_q_.end(), [](const Burst& b) { return b.early_b && !b.b_sent; });
      it->b_sent = true;
      if (it->beat > it->len) aw_q_.erase(it);  // its W beats are all in already
    } else {
      // The answered burst is the one recorded when bvalid was raised.
      auto it = std::find_if(b_q_.begin(), b_q_.end(), [&](const Burst& b) {
        return b.id == b_real_id_ && b.beat == ~0u;
      });
      b_q_.erase(it);
    }
    out_.bvalid = false;
    ++stats_.b;
  }

  ++now_;  // outputs below are for the next cycle

  // ---- next outputs ----
  out_.arready = !rd_dead_ && rd_q_.size() < cfg_.max_reads && !stall();
  out_.awready = !wr_dead_ && aw_q_.size() + b_q_.size() < cfg_.max_writes && !stall();
  out_.wready = (!wr_dead_ || keep_w_) && next_w_burst() != aw_q_.end() && now_ >= next_w_cycle_ && !stall();

  if (!out_.rvalid && !rd_dead_) {
    if (!r_cur_) r_cur_ = pick(rd_q_, now_);
    if (r_cur_ && rd_q_[*r_cur_].ready_cycle <= now_ && now_ >= next_r_cycle_ && !stall()) {
      const Burst& b = rd_q_[*r_cur_];
      const std::uint64_t a = beat_addr(b);
      const unsigned bytes = 1u << b.size;
      out_.rresp = resp_for(a, bytes);
      out_.rdata.assign(bb, 0);
      const unsigned lane0 = static_cast<unsigned>(a % bb);
      for (unsigned i = 0; i < bytes; ++i)
        out_.rdata[lane0 + i] = out_.rresp >= 2 ? 0xEE : byte(a + i);
      out_.rlast = (b.beat == b.len);
      out_.rid = b.id;
      out_.rvalid = true;
      for (const auto& c : rcorrupt_) {
        if (!c.r.overlaps(a, bytes)) continue;
        if (c.what == RCorrupt::FlipLast) out_.rlast = !out_.rlast;
        if (c.what == RCorrupt::WrongId) out_.rid ^= 1u;
        if (c.what == RCorrupt::ExOkay) out_.rresp = static_cast<unsigned>(Resp::ExOkay);
      }
    }
  }
  if (!out_.bvalid && !wr_dead_) {  // early_bresps: B at once, before the W data
    auto it = std::find_if(aw_q_.begin(), aw_q_.end(), [](const Burst& b) { return b.early_b && !b.b_sent; });
    b_is_early_ = it != aw_q_.end();
    if (b_is_early_) {
      out_.bvalid = true;
      out_.bid = it->id;
      out_.bresp = static_cast<unsigned>(Resp::Okay);
    }
  }
  if (!out_.bvalid && !wr_dead_ && !stall()) {
    if (auto i = pick(b_q_, now_)) {
      Burst& b = b_q_[*i];
      b.beat = ~0u;  // marks the burst being answered
      out_.bvalid = true;
      out_.bid = b.id;
      out_.bresp = b.resp;
      b_real_id_ = b.id;
      for (const auto& c : bcorrupt_)
        if (c.overlaps(b.addr, 1)) out_.bid ^= 1u;
    }
  }
}

}  // namespace npu::tb::axi
