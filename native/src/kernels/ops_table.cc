// Gathers this ISA build's kernels into the table motif::ops_<isa> (see ../ops.h).
#include "kernels/kernels.h"

#define MOTIF_CAT2(a, b) a##b
#define MOTIF_CAT(a, b) MOTIF_CAT2(a, b)
#define MOTIF_STR2(a) #a
#define MOTIF_STR(a) MOTIF_STR2(a)

namespace motif {
namespace I = MOTIF_ISA;
extern const Ops MOTIF_CAT(ops_, MOTIF_ISA);
const Ops MOTIF_CAT(ops_, MOTIF_ISA) = {
    MOTIF_STR(MOTIF_ISA),
    I::sgemm,
    I::linear_forward,
    I::linear_backward,
    I::linear_forward_bf16,
    I::linear_backward_bf16,
    I::embedding_forward,
    I::embedding_backward,
    I::layernorm_forward,
    I::layernorm_backward,
    I::relu_forward,
    I::relu_backward,
    I::gelu_forward,
    I::gelu_backward,
    I::activation_forward_bf16,
    I::activation_backward_bf16,
    I::dropout_forward,
    I::dropout_backward,
    I::attention_forward,
    I::attention_backward,
    I::attention_cached_forward,
    I::crossentropy_forward_backward,
    I::crossentropy_forward,
    I::meanpool_forward,
    I::meanpool_backward,
    I::sum_squares,
    I::sum_abs,
    I::l1_grad,
    I::scale,
    I::adamw_update,
    I::fma_peak_loop,
    I::f32_to_bf16,
    I::bf16_to_f32,
    I::gemm_bf16,
    I::attention_forward_bf16,
    I::attention_backward_bf16,
};
}  // namespace motif
