#include "npu/ref/gemm.hpp"

#include <stdexcept>
#include <string>

#include "npu/ref/fp.hpp"

namespace npu::ref {
namespace {

template <class In, class Acc>
void check_shapes(const Matrix<In>& a, const Matrix<In>& b, const Matrix<Acc>* c_init, const char* who) {
  if (a.cols() != b.rows()) {
    throw std::invalid_argument(std::string(who) + ": A is " + std::to_string(a.rows()) + "x" +
                                std::to_string(a.cols()) + " but B is " + std::to_string(b.rows()) +
                                "x" + std::to_string(b.cols()));
  }
  if (c_init != nullptr && (c_init->rows() != a.rows() || c_init->cols() != b.cols())) {
    throw std::invalid_argument(std::string(who) + ": C_init is " + std::to_string(c_init->rows()) +
                                "x" + std::to_string(c_init->cols()) + ", expected " +
                                std::to_string(a.rows()) + "x" + std::to_string(b.cols()));
  }
}

// C[m][n] = chain over k = 0..K-1, in that order, of acc = step(acc, A[m][k], B[k][n]).
template <class In, class Acc, class Step>
Matrix<Acc> chained_gemm(const Matrix<In>& a, const Matrix<In>& b, const Matrix<Acc>* c_init, Acc zero,
                         Step step) {
  Matrix<Acc> c = c_init != nullptr ? *c_init : Matrix<Acc>(a.rows(), b.cols(), zero);
  for (std::size_t m = 0; m < a.rows(); ++m) {
    for (std::size_t n = 0; n < b.cols(); ++n) {
      Acc acc = c(m, n);
      for (std::size_t k = 0; k < a.cols(); ++k) acc = step(acc, a(m, k), b(k, n));
      c(m, n) = acc;
    }
  }
  return c;
}

}  // namespace

Matrix<int32_t> gemm_i8(const Matrix<int8_t>& a, const Matrix<int8_t>& b, const Matrix<int32_t>* c_init) {
  check_shapes(a, b, c_init, "gemm_i8");
  return chained_gemm(a, b, c_init, int32_t{0}, [](int32_t acc, int8_t x, int8_t w) {
    // Two's-complement wrap-around: add in uint32 (well defined), map back.
    const auto sum = static_cast<uint32_t>(acc) + static_cast<uint32_t>(int32_t{x} * int32_t{w});
    return static_cast<int32_t>(sum);
  });
}

Matrix<uint32_t> gemm_bf16(const Matrix<uint16_t>& a, const Matrix<uint16_t>& b,
                           const Matrix<uint32_t>* c_init) {
  check_shapes(a, b, c_init, "gemm_bf16");
  return chained_gemm(a, b, c_init, uint32_t{0},
                      [](uint32_t acc, uint16_t x, uint16_t w) { return bf16_mac(x, w, acc); });
}

}  // namespace npu::ref
