//! Backbone + head combinations, following Hugging Face `transformers` module by module.
//! candle-transformers provides the backbones (and XLM-R / DeBERTa sequence classification);
//! the heads it lacks are written here: BERT pooler + classifier, BERT and XLM-R token
//! classification, and DeBERTa-v2 token classification (candle's `DebertaV2NERModel` drops the
//! classifier bias that `transformers` has).

use candle_core::{Module, Result, Tensor};
use candle_nn::{linear, Linear, VarBuilder};
use candle_transformers::models::{bert, debertav2, xlm_roberta};
use serde_json::Value;

use super::config::{Architecture, CheckpointConfig, HeadKind};
use crate::batch::TokenBatch;
use crate::error::{EncoderError, Result as CrateResult};

/// Logits for a padded batch: `[batch, labels]` or `[batch, seq, labels]`.
pub(crate) trait ClassifierForward: Send + Sync {
    fn logits(&self, batch: &TokenBatch) -> Result<Tensor>;
}

/// Builds the model `config` describes from the weights in `vb`.
pub(crate) fn build(
    config: &CheckpointConfig,
    vb: VarBuilder,
) -> CrateResult<Box<dyn ClassifierForward>> {
    let labels = config.labels.len();
    let context = format!(
        "{}: loading {} {} weights",
        config.path().display(),
        config.architecture,
        config.head
    );
    let model: Box<dyn ClassifierForward> = match config.architecture {
        Architecture::Bert => {
            let cfg: bert::Config = config.candle_config(&[])?;
            let hidden = cfg.hidden_size;
            let backbone = bert::BertModel::load(vb.pp("bert"), &cfg);
            let backbone = backbone.map_err(EncoderError::tensor(context.clone()))?;
            let head = match config.head {
                HeadKind::SequenceClassification => Some(
                    linear(hidden, hidden, vb.pp("bert.pooler.dense"))
                        .map_err(EncoderError::tensor(context.clone()))?,
                ),
                HeadKind::TokenClassification => None,
            };
            let classifier = linear(hidden, labels, vb.pp("classifier"));
            Box::new(BertClassifier {
                backbone,
                pooler: head,
                classifier: classifier.map_err(EncoderError::tensor(context))?,
            })
        }
        Architecture::XlmRoberta => {
            // Newer `transformers` no longer writes `position_embedding_type`.
            let cfg: xlm_roberta::Config =
                config.candle_config(&[("position_embedding_type", Value::from("absolute"))])?;
            let built = match config.head {
                HeadKind::SequenceClassification => {
                    xlm_roberta::XLMRobertaForSequenceClassification::new(labels, &cfg, vb)
                        .map(|m| Box::new(XlmrSequence(m)) as Box<dyn ClassifierForward>)
                }
                HeadKind::TokenClassification => XlmrTokens::load(labels, &cfg, vb)
                    .map(|m| Box::new(m) as Box<dyn ClassifierForward>),
            };
            built.map_err(EncoderError::tensor(context))?
        }
        Architecture::DebertaV2 => {
            let cfg: debertav2::Config = config.candle_config(&[])?;
            let built = match config.head {
                HeadKind::SequenceClassification => {
                    debertav2::DebertaV2SeqClassificationModel::load(vb.pp("deberta"), &cfg, None)
                        .map(|m| Box::new(DebertaSequence(m)) as Box<dyn ClassifierForward>)
                }
                HeadKind::TokenClassification => DebertaTokens::load(labels, &cfg, vb)
                    .map(|m| Box::new(m) as Box<dyn ClassifierForward>),
            };
            built.map_err(EncoderError::tensor(context))?
        }
    };
    Ok(model)
}

/// `BertForSequenceClassification` (with pooler) or `BertForTokenClassification` (without).
struct BertClassifier {
    backbone: bert::BertModel,
    pooler: Option<Linear>,
    classifier: Linear,
}

impl ClassifierForward for BertClassifier {
    fn logits(&self, batch: &TokenBatch) -> Result<Tensor> {
        let hidden = self.backbone.forward(
            &batch.input_ids,
            &batch.type_ids,
            Some(&batch.attention_mask),
        )?;
        match &self.pooler {
            // BertPooler: dense + tanh over the first ([CLS]) token.
            Some(pooler) => {
                let first = hidden.narrow(1, 0, 1)?.squeeze(1)?;
                self.classifier.forward(&pooler.forward(&first)?.tanh()?)
            }
            None => self.classifier.forward(&hidden),
        }
    }
}

struct XlmrSequence(xlm_roberta::XLMRobertaForSequenceClassification);

impl ClassifierForward for XlmrSequence {
    fn logits(&self, batch: &TokenBatch) -> Result<Tensor> {
        self.0
            .forward(&batch.input_ids, &batch.attention_mask, &batch.type_ids)
    }
}

/// `XLMRobertaForTokenClassification`: the backbone, then one linear layer on every token.
struct XlmrTokens {
    roberta: xlm_roberta::XLMRobertaModel,
    classifier: Linear,
}

impl XlmrTokens {
    fn load(labels: usize, cfg: &xlm_roberta::Config, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            roberta: xlm_roberta::XLMRobertaModel::new(cfg, vb.pp("roberta"))?,
            classifier: linear(cfg.hidden_size, labels, vb.pp("classifier"))?,
        })
    }
}

impl ClassifierForward for XlmrTokens {
    fn logits(&self, batch: &TokenBatch) -> Result<Tensor> {
        let hidden = self.roberta.forward(
            &batch.input_ids,
            &batch.attention_mask,
            &batch.type_ids,
            None,
            None,
            None,
        )?;
        self.classifier.forward(&hidden)
    }
}

struct DebertaSequence(debertav2::DebertaV2SeqClassificationModel);

impl ClassifierForward for DebertaSequence {
    fn logits(&self, batch: &TokenBatch) -> Result<Tensor> {
        self.0.forward(
            &batch.input_ids,
            Some(batch.type_ids.clone()),
            Some(batch.attention_mask.clone()),
        )
    }
}

/// `DebertaV2ForTokenClassification`: the backbone, then a linear layer (with bias) per token.
struct DebertaTokens {
    deberta: debertav2::DebertaV2Model,
    classifier: Linear,
}

impl DebertaTokens {
    fn load(labels: usize, cfg: &debertav2::Config, vb: VarBuilder) -> Result<Self> {
        Ok(Self {
            deberta: debertav2::DebertaV2Model::load(vb.pp("deberta"), cfg)?,
            classifier: linear(cfg.hidden_size, labels, vb.pp("classifier"))?,
        })
    }
}

impl ClassifierForward for DebertaTokens {
    fn logits(&self, batch: &TokenBatch) -> Result<Tensor> {
        let hidden = self.deberta.forward(
            &batch.input_ids,
            Some(batch.type_ids.clone()),
            Some(batch.attention_mask.clone()),
        )?;
        self.classifier.forward(&hidden)
    }
}
