// Dense row-major matrix used by the reference GEMMs and the testbenches.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace npu::ref {

template <class T>
class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols, T fill = T{})
      : rows_(rows), cols_(cols), data_(rows * cols, fill) {}

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }

  T& operator()(std::size_t r, std::size_t c) { return data_[index(r, c)]; }
  const T& operator()(std::size_t r, std::size_t c) const { return data_[index(r, c)]; }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }

 private:
  std::size_t index(std::size_t r, std::size_t c) const {
    if (r >= rows_ || c >= cols_) {
      throw std::out_of_range("Matrix index (" + std::to_string(r) + ", " + std::to_string(c) +
                              ") outside " + std::to_string(rows_) + "x" + std::to_string(cols_));
    }
    return r * cols_ + c;
  }

  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<T> data_;
};

// Columns c0 .. c0+n-1 of m.
template <class T>
Matrix<T> columns(const Matrix<T>& m, std::size_t c0, std::size_t n) {
  Matrix<T> y(m.rows(), n);
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < n; ++c) y(r, c) = m(r, c0 + c);
  return y;
}

// Rows r0 .. r0+n-1 of m.
template <class T>
Matrix<T> row_block(const Matrix<T>& m, std::size_t r0, std::size_t n) {
  Matrix<T> y(n, m.cols());
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y(r, c) = m(r0 + r, c);
  return y;
}

// src into dst at columns c0 ..
template <class T>
void put_columns(Matrix<T>& dst, std::size_t c0, const Matrix<T>& src) {
  for (std::size_t r = 0; r < src.rows(); ++r)
    for (std::size_t c = 0; c < src.cols(); ++c) dst(r, c0 + c) = src(r, c);
}

template <class T>
Matrix<T> transpose(const Matrix<T>& m) {
  Matrix<T> y(m.cols(), m.rows());
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y(c, r) = m(r, c);
  return y;
}

}  // namespace npu::ref
